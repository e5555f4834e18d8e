"""Refunds as staff see them: by state, with their last payment and age; masked accounts only.

Staff of an operator see that operator's refunds; staff bound to no operator see all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.db.models_money import RefundBatch, RefundPayment
from lineclose.errors import Forbidden, InvalidInput
from lineclose.services.context import Actor

STATES = ("instructed", "batched", "paid", "returned")


@dataclass(frozen=True)
class RefundView:
    refund_id: int
    reference: str
    operator: str
    amount_minor: int
    currency: str
    status: str
    disposition: str
    account_masked: str
    end_to_end_id: str | None
    batch: str | None
    return_reason: str | None
    created_at: datetime
    age_days: int


def list_refunds(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    status: str | None = None,
    operator_code: str | None = None,
    limit: int = 500,
) -> list[RefundView]:
    if not actor.is_staff:
        raise Forbidden("staff only", code="staff_only")
    if status is not None and status not in STATES:
        raise InvalidInput(
            f"status must be one of {', '.join(STATES)}", code="invalid_status", field="status"
        )
    query = (
        select(models.RefundInstruction, models.ClosureRequest.reference, models.Operator.code)
        .join(
            models.ClosureRequest, models.ClosureRequest.id == models.RefundInstruction.request_id
        )
        .join(models.Operator, models.Operator.id == models.ClosureRequest.operator_id)
        .order_by(models.RefundInstruction.created_at, models.RefundInstruction.id)
        .limit(limit)
    )
    if status is not None:
        query = query.where(models.RefundInstruction.status == status)
    if operator_code is not None:
        query = query.where(models.Operator.code == operator_code)
    if actor.operator_id is not None:
        query = query.where(models.Operator.id == actor.operator_id)
    rows = session.execute(query).all()
    ids = [refund.id for refund, _, _ in rows]
    payments: dict[int, tuple[str | None, str | None]] = {}
    for refund_id, e2e, batch in session.execute(
        select(RefundPayment.refund_id, RefundPayment.end_to_end_id, RefundBatch.reference)
        .join(RefundBatch, RefundBatch.id == RefundPayment.batch_id)
        .where(RefundPayment.refund_id.in_(ids))
        .order_by(RefundPayment.id)
    ).all():
        payments[refund_id] = (e2e, batch)  # the last attempt wins
    views = []
    for refund, reference, operator in rows:
        last_e2e, last_batch = payments.get(refund.id, (None, None))
        views.append(
            RefundView(
                refund.id,
                reference,
                operator,
                refund.amount_minor,
                refund.currency,
                refund.status,
                refund.disposition,
                refund.account_masked,
                last_e2e,
                last_batch,
                refund.return_reason,
                refund.created_at,
                (now - refund.created_at).days,
            )
        )
    return views
