"""Marking payments paid or returned, from a bank file or by hand, and taking a new account.

Rules:
- A payment is matched by the end-to-end id its batch wrote; ids that are not ours go to the
  rejects with their line, and good lines apply.
- batched -> paid | returned; a paid payment can still come back (a bank return after
  booking) -> returned. The same answer twice changes nothing, so a file can be imported again.
- The refund follows its payment and every move is audited. Paid: the subscriber is told at
  the alternate contact. Returned: the subscriber is asked there for another account, by a
  one-time link to the portal (valid `ACCOUNT_LINK_DAYS`); the new account puts the refund
  back to `instructed`, so the next batch pays it under a new end-to-end id.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.db.models_money import RefundPayment
from lineclose.domain.identifiers import mask_account, mask_msisdn
from lineclose.errors import Conflict, InvalidInput, LinecloseError, NotFound
from lineclose.i18n import format_money
from lineclose.services.context import Actor, Deps
from lineclose.services.debts import record_payment
from lineclose.services.lines import profile_of
from lineclose.services.notices import enqueue_to_contact
from lineclose.services.payouts.batches import BATCHED, INSTRUCTED, ensure_payout_staff
from lineclose.services.payouts.files import BadAccount, check_iban
from lineclose.services.payouts.statements import (
    PAID,
    RETURNED,
    Outcome,
    parse_statement,
    pay_references,
)
from lineclose.services.webhooks.events import emit_event

ACCOUNT_LINK_DAYS = 30
RETURN_REASONS = {
    "AC01": "the account number is wrong",
    "AC04": "the account is closed",
    "AC06": "the account is blocked",
    "AM09": "the amount is wrong",
    "BE01": "the account holder's name does not match",
    "MD07": "the account holder has died",
    "RR01": "the account holder's details are missing",
}


@dataclass(frozen=True)
class Reject:
    line: int | None
    field: str
    message: str


@dataclass
class ReconcileReport:
    source: str
    paid: list[str] = field(default_factory=list)
    returned: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    debt_payments: list[str] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def import_statement(session: Session, deps: Deps, actor: Actor, data: bytes) -> ReconcileReport:
    """Apply a camt.054, pain.002 or MT940 file; unreadable files change nothing (422)."""
    ensure_payout_staff(actor)
    known = set(
        session.execute(
            select(RefundPayment.end_to_end_id).where(RefundPayment.status.in_((BATCHED, PAID)))
        ).scalars()
    )
    try:
        parsed = parse_statement(data, known)
    except ValueError as exc:
        raise InvalidInput(str(exc), code="unreadable_statement", field="file") from exc
    report = apply_outcomes(session, deps, actor, parsed.outcomes, parsed.kind)
    for pay_reference, amount, line in pay_references(parsed.credits):
        try:
            record_payment(session, deps, actor, pay_reference, amount, parsed.kind)
            report.debt_payments.append(pay_reference)
        except LinecloseError as exc:
            report.rejects.append(Reject(line, "pay_reference", exc.message))
    return report


def apply_outcomes(
    session: Session, deps: Deps, actor: Actor, outcomes: list[Outcome], source: str
) -> ReconcileReport:
    ensure_payout_staff(actor)
    report = ReconcileReport(source)
    ids = {outcome.end_to_end_id for outcome in outcomes}
    payments = {
        payment.end_to_end_id: payment
        for payment in session.execute(
            select(RefundPayment).where(RefundPayment.end_to_end_id.in_(ids))
        ).scalars()
    }
    for outcome in outcomes:
        payment = payments.get(outcome.end_to_end_id)
        if payment is None:
            report.rejects.append(
                Reject(outcome.line, "end_to_end_id", "no payment of ours has this end-to-end id")
            )
            continue
        if payment.status == outcome.status or (payment.status, outcome.status) == (
            RETURNED,
            PAID,
        ):
            report.unchanged.append(payment.end_to_end_id)
            continue
        _settle(session, deps, actor, payment, outcome, source)
        (report.paid if outcome.status == PAID else report.returned).append(payment.end_to_end_id)
    return report


def mark(
    session: Session,
    deps: Deps,
    actor: Actor,
    end_to_end_id: str,
    status: str,
    reason: str | None = None,
) -> ReconcileReport:
    """Mark one payment by hand (the bank told staff another way)."""
    if status not in (PAID, RETURNED):
        raise InvalidInput("status must be paid or returned", code="invalid_status", field="status")
    report = apply_outcomes(
        session, deps, actor, [Outcome(end_to_end_id, status, reason)], "manual"
    )
    if report.rejects:
        raise NotFound("no payment has this end-to-end id", code="unknown_payment")
    return report


def _settle(
    session: Session,
    deps: Deps,
    actor: Actor,
    payment: RefundPayment,
    outcome: Outcome,
    source: str,
) -> None:
    now = deps.clock.now()
    refund = session.get(models.RefundInstruction, payment.refund_id)
    assert refund is not None
    was = refund.status
    payment.status = outcome.status
    payment.settled_at = now
    payment.settled_by = actor.label
    refund.status = outcome.status
    refund.updated_at = now
    request = session.get(models.ClosureRequest, refund.request_id)
    assert request is not None
    profile = profile_of(request.operator)
    values = {
        "reference": request.reference,
        "msisdn": mask_msisdn(request.line.msisdn),
        "amount": format_money(refund.amount_minor, refund.currency, profile.locale),
        "account": refund.account_masked,
        "operator": request.operator.name,
    }
    details: dict[str, object] = {
        "from": was,
        "to": outcome.status,
        "end_to_end_id": payment.end_to_end_id,
        "source": source,
    }
    if outcome.status == PAID:
        refund.paid_at = now
        refund.return_reason = None
        notice, key = "refund_paid", f"{request.id}:notice:refund_paid"
    else:
        code = outcome.reason or "unknown"
        payment.return_reason = code[:200]
        refund.return_reason = code[:200]
        refund.paid_at = None
        token = secrets.token_urlsafe(24)
        refund.account_token_hash = _token_hash(token)
        refund.account_token_expires_at = now + timedelta(days=ACCOUNT_LINK_DAYS)
        base = deps.settings.public_base_url.rstrip("/")
        values["link"] = f"{base}/portal/refund-account/{token}"
        values["reason"] = RETURN_REASONS.get(code, f"bank reason {code}")
        details["reason"] = code
        notice, key = "refund_returned", f"{request.id}:notice:refund_returned:{payment.id}"
    audit.append(
        session, now, actor.label, f"refund.{outcome.status}", "refund", str(refund.id), details
    )
    if request.alternate_contact_enc:
        enqueue_to_contact(
            session,
            deps,
            key=key,
            contact=deps.vault.decrypt(request.alternate_contact_enc),
            notice=notice,
            locale=profile.locale,
            values=values,
            request_id=request.id,
        )
    emit_event(session, deps, request, f"refund.{outcome.status}")


@dataclass(frozen=True)
class AccountLink:
    reference: str
    amount_minor: int
    currency: str
    locale: str
    old_account_masked: str
    reason: str | None


def _refund_for_token(session: Session, deps: Deps, token: str) -> models.RefundInstruction:
    refund = session.execute(
        select(models.RefundInstruction).where(
            models.RefundInstruction.account_token_hash == _token_hash(token)
        )
    ).scalar_one_or_none()
    expires = refund.account_token_expires_at if refund else None
    if refund is None or expires is None or expires < deps.clock.now():
        raise NotFound("this link is not valid or has expired", code="refund_link_invalid")
    return refund


def account_link(session: Session, deps: Deps, token: str) -> AccountLink:
    """What the portal shows on the link the returned-refund notice carried."""
    refund = _refund_for_token(session, deps, token)
    request = session.get(models.ClosureRequest, refund.request_id)
    assert request is not None
    return AccountLink(
        request.reference,
        refund.amount_minor,
        refund.currency,
        profile_of(request.operator).locale,
        refund.account_masked,
        refund.return_reason,
    )


def validate_account(raw: str, currency: str) -> str:
    """An IBAN for payouts by pain.001 (EUR, GBP); else an account, card or Alipay login."""
    compact = "".join(raw.split())
    if currency in ("EUR", "GBP"):
        try:
            return check_iban(compact.upper())
        except BadAccount as exc:
            raise InvalidInput(str(exc), code="invalid_refund_account", field="account") from exc
    if compact.isdigit() and 8 <= len(compact) <= 34:
        return compact
    if "@" in compact and len(compact) <= 100:
        return compact  # an Alipay login
    raise InvalidInput(
        "account must be a bank card or account number of 8 to 34 digits, or an Alipay e-mail",
        code="invalid_refund_account",
        field="account",
    )


def take_new_account(session: Session, deps: Deps, token: str, raw_account: str) -> str:
    """Seal the new account, spend the link and put the refund back in line for the next batch;
    returns the masked account."""
    refund = _refund_for_token(session, deps, token)
    if refund.status != RETURNED:
        raise Conflict("this refund is not waiting for a new account", code="refund_not_returned")
    account = validate_account(raw_account, refund.currency)
    now = deps.clock.now()
    refund.account_enc = deps.vault.encrypt(account)
    refund.account_masked = mask_account(account)
    refund.account_token_hash = None
    refund.account_token_expires_at = None
    refund.status = INSTRUCTED
    refund.updated_at = now
    audit.append(
        session,
        now,
        "subscriber:refund-link",
        "refund.account_changed",
        "refund",
        str(refund.id),
        {"from": RETURNED, "to": INSTRUCTED, "account": refund.account_masked},
    )
    return refund.account_masked
