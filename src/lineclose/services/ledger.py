"""The built-in ledger: paying a bill and unbinding a service, the two fixes a subscriber makes most."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.errors import Conflict, InvalidInput, NotFound
from lineclose.services.context import Actor, Deps
from lineclose.services.lines import ensure_can_see_line, find_line, local_today, profile_of


@dataclass(frozen=True)
class PaymentResult:
    bill_id: int
    amount_minor: int
    currency: str
    reference: str
    replayed: bool


def pay_bill(
    session: Session,
    deps: Deps,
    actor: Actor,
    raw_msisdn: str,
    bill_id: int,
    amount_minor: int,
    reference: str,
) -> PaymentResult:
    """Pay an unpaid bill in full. The payment reference makes a repeated call harmless."""
    line = find_line(session, raw_msisdn)
    ensure_can_see_line(actor, line)
    if amount_minor <= 0:
        raise InvalidInput(
            "amount_minor must be a positive whole number",
            code="invalid_amount",
            field="amount_minor",
        )
    if not reference.strip() or len(reference) > 64:
        raise InvalidInput(
            "reference must be 1 to 64 characters", code="invalid_reference", field="reference"
        )
    bill = session.get(models.Bill, bill_id)
    if bill is None or bill.line_id != line.id:
        raise NotFound("no such bill on this line", code="unknown_bill")
    earlier = session.execute(
        select(models.Payment).where(models.Payment.reference == reference)
    ).scalar_one_or_none()
    if earlier is not None:
        if earlier.bill_id != bill.id or earlier.amount_minor != amount_minor:
            raise Conflict(
                "this payment reference was used for another payment",
                code="payment_reference_reused",
            )
        return PaymentResult(
            bill.id, earlier.amount_minor, earlier.currency, reference, replayed=True
        )
    if bill.paid_at is not None:
        raise Conflict("this bill is already paid", code="bill_already_paid")
    if amount_minor != bill.amount_minor:
        raise InvalidInput(
            f"amount_minor must equal the bill's amount, {bill.amount_minor}",
            code="amount_mismatch",
            field="amount_minor",
        )
    now = deps.clock.now()
    session.add(
        models.Payment(
            line_id=line.id,
            bill_id=bill.id,
            kind="bill",
            amount_minor=amount_minor,
            currency=bill.currency,
            reference=reference,
            created_at=now,
        )
    )
    bill.paid_at = now
    audit.append(
        session, now, actor.label, "bill.paid", "bill", str(bill.id), {"amount_minor": amount_minor}
    )
    return PaymentResult(bill.id, amount_minor, bill.currency, reference, replayed=False)


def unbind(
    session: Session, deps: Deps, actor: Actor, raw_msisdn: str, binding_id: int
) -> models.Binding:
    """Record that the subscriber removed this number from a third-party service."""
    line = find_line(session, raw_msisdn)
    ensure_can_see_line(actor, line)
    binding = session.get(models.Binding, binding_id)
    if binding is None or binding.line_id != line.id:
        raise NotFound("no such bound service on this line", code="unknown_binding")
    if binding.unbound_on is None:
        now = deps.clock.now()
        binding.unbound_on = local_today(profile_of(line.operator), now)
        audit.append(
            session,
            now,
            actor.label,
            "binding.unbound",
            "binding",
            str(binding.id),
            {"service": binding.service},
        )
    return binding
