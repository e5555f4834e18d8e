"""Amounts still due after a closure's settlement.

Rules: an amount due below the profile's `debt_write_off_minor` is written off, audited with
the reason; anything else is handed to collection under a payment reference, and the
subscriber is told at the alternate contact the amount and how to pay (quote the reference).
Payments come in by the API or the bank statement import (a credit whose text carries the
reference); a debt paid in full is `paid`. Open debts are exported for a collection agency.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.db.models_money import Debt
from lineclose.domain.identifiers import mask_msisdn
from lineclose.errors import Conflict, Forbidden, InvalidInput, NotFound
from lineclose.i18n import format_money
from lineclose.services.context import SYSTEM_ACTOR, Actor, Channel, Deps, Role
from lineclose.services.lines import profile_of
from lineclose.services.notices import enqueue_to_contact

WRITTEN_OFF = "written_off"
COLLECTION = "collection"
PAID = "paid"
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def open_debt(
    session: Session, deps: Deps, request: models.ClosureRequest, amount_minor: int
) -> Debt | None:
    """Called by settlement with the amount due; returns the debt (None when nothing is due)."""
    if amount_minor <= 0:
        return None
    existing = session.execute(
        select(Debt).where(Debt.request_id == request.id)
    ).scalar_one_or_none()
    if existing is not None:
        return existing  # settlement repeated after a crash
    profile = profile_of(request.operator)
    threshold = profile.debt_write_off_minor.value
    now = deps.clock.now()
    currency = request.line.currency
    written_off = amount_minor < threshold
    debt = Debt(
        request_id=request.id,
        amount_minor=amount_minor,
        paid_minor=0,
        currency=currency,
        status=WRITTEN_OFF if written_off else COLLECTION,
        reason=(
            f"under the write-off threshold of {threshold} minor units ({profile.code})"
            if written_off
            else "amount due after final settlement"
        ),
        pay_reference="PAY-" + "".join(secrets.choice(_ALPHABET) for _ in range(10)),
        created_at=now,
        settled_at=now if written_off else None,
    )
    session.add(debt)
    session.flush()
    audit.append(
        session,
        now,
        SYSTEM_ACTOR.label,
        f"debt.{debt.status}",
        "closure_request",
        request.reference,
        {"amount_minor": amount_minor, "currency": currency, "reason": debt.reason},
    )
    # Cards of a fleet are told of what they owe in their batch's closing summary instead.
    bulk = request.channel == Channel.BULK.value
    if not written_off and request.alternate_contact_enc and not bulk:
        enqueue_to_contact(
            session,
            deps,
            key=f"{request.id}:notice:debt_due",
            contact=deps.vault.decrypt(request.alternate_contact_enc),
            notice="debt_due",
            locale=profile.locale,
            values={
                "amount": format_money(amount_minor, currency, profile.locale),
                "msisdn": mask_msisdn(request.line.msisdn),
                "reference": request.reference,
                "pay_reference": debt.pay_reference,
                "operator": request.operator.name,
            },
            request_id=request.id,
        )
    return debt


def record_payment(
    session: Session, deps: Deps, actor: Actor, pay_reference: str, amount_minor: int, source: str
) -> Debt:
    """A payment against a debt in collection; paid in full, the debt is closed."""
    if actor.role not in (Role.ADMIN, Role.SUPERVISOR, Role.INTEGRATION, Role.SYSTEM):
        raise Forbidden("your role may not record debt payments", code="role_not_allowed")
    if amount_minor <= 0:
        raise InvalidInput(
            "amount_minor must be positive", code="invalid_amount", field="amount_minor"
        )
    debt = session.execute(
        select(Debt).where(Debt.pay_reference == pay_reference.strip().upper())
    ).scalar_one_or_none()
    if debt is None:
        raise NotFound("no debt has this payment reference", code="unknown_debt")
    if debt.status != COLLECTION:
        raise Conflict(f"the debt is {debt.status}", code="debt_not_open")
    now = deps.clock.now()
    debt.paid_minor += amount_minor
    if debt.paid_minor >= debt.amount_minor:
        debt.status = PAID
        debt.settled_at = now
    request = session.get(models.ClosureRequest, debt.request_id)
    assert request is not None
    audit.append(
        session,
        now,
        actor.label,
        "debt.payment",
        "closure_request",
        request.reference,
        {
            "amount_minor": amount_minor,
            "paid_minor": debt.paid_minor,
            "source": source,
            "status": debt.status,
        },
    )
    return debt


@dataclass(frozen=True)
class DebtView:
    reference: str
    operator: str
    pay_reference: str
    amount_minor: int
    paid_minor: int
    currency: str
    status: str
    reason: str
    created_at: datetime


def list_debts(session: Session, actor: Actor, status: str | None = None) -> list[DebtView]:
    """Debts with masked data only: what a collection agency export needs is the reference."""
    if not actor.is_staff:
        raise Forbidden("staff only", code="staff_only")
    query = (
        select(Debt, models.ClosureRequest.reference, models.Operator.code)
        .join(models.ClosureRequest, models.ClosureRequest.id == Debt.request_id)
        .join(models.Operator, models.Operator.id == models.ClosureRequest.operator_id)
        .order_by(Debt.created_at, Debt.id)
    )
    if status is not None:
        query = query.where(Debt.status == status)
    if actor.operator_id is not None:
        query = query.where(models.Operator.id == actor.operator_id)
    return [
        DebtView(
            ref,
            op,
            d.pay_reference,
            d.amount_minor,
            d.paid_minor,
            d.currency,
            d.status,
            d.reason,
            d.created_at,
        )
        for d, ref, op in session.execute(query).all()
    ]
