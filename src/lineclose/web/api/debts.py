"""Debts after closure over the API: the open ones for collection, and payments against them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from lineclose.services.access import Action
from lineclose.services.context import Actor
from lineclose.services.debts import list_debts, record_payment
from lineclose.web.api.deps import DepsDep, SessionDep, may
from lineclose.web.api.schemas import problems

router = APIRouter(prefix="/api/v1/debts", tags=["debts"])
Staff = Annotated[Actor, may(Action.READ_MONEY)]
Payer = Annotated[Actor, may(Action.TAKE_DEBT_PAYMENT)]


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount_minor: int = Field(gt=0)
    source: str = Field(default="api", max_length=40)


@router.get("", responses=problems(400, 401, 403, 404, 409, 422))
def get_debts(session: SessionDep, actor: Staff, status: str | None = None) -> dict[str, Any]:
    return {
        "debts": [
            {
                "reference": d.reference,
                "operator": d.operator,
                "pay_reference": d.pay_reference,
                "amount_minor": d.amount_minor,
                "paid_minor": d.paid_minor,
                "currency": d.currency,
                "status": d.status,
                "reason": d.reason,
            }
            for d in list_debts(session, actor, status)
        ]
    }


@router.post("/{pay_reference}/payments", responses=problems(400, 401, 403, 404, 409, 422))
def post_payment(
    pay_reference: str, body: PaymentIn, session: SessionDep, deps: DepsDep, actor: Payer
) -> dict[str, Any]:
    """A payment the operator's billing took against a debt (the sync API's view of it)."""
    debt = record_payment(session, deps, actor, pay_reference, body.amount_minor, body.source)
    session.commit()
    return {
        "pay_reference": debt.pay_reference,
        "paid_minor": debt.paid_minor,
        "status": debt.status,
    }
