"""Executing an approved closure, one outbox step at a time.

begin_execution -> bar_line -> settle -> finalize; each step enqueues the next in the same
transaction that marks it done, so a crash repeats at most the step it interrupted, and every
step is safe to repeat: the HLR call is idempotent and database effects commit with the step.

Notices are not idempotent at the gateway, so their steps never repeat a call that may have
gone through: the worker marks each attempt first, and a later attempt that finds the mark
`resolve`s the step from the gateway's evidence instead (see docs/deploy.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import audit, models, outbox
from lineclose.db.outbox import Claimed
from lineclose.domain.aging import NumberState, aging_until
from lineclose.domain.eligibility import BlockerCode
from lineclose.domain.facts import LineStatus
from lineclose.domain.identifiers import mask_msisdn, mask_name
from lineclose.domain.outbox import Step
from lineclose.domain.settlement import quote
from lineclose.domain.states import Command, RequestState
from lineclose.ports.errors import Retryable
from lineclose.ports.messaging import EmailMessage, SmsMessage
from lineclose.services.closure.transitions import transition
from lineclose.services.context import SYSTEM_ACTOR, Deps
from lineclose.services.debts import open_debt
from lineclose.services.execution_finalize import closing_notices, verification_code
from lineclose.services.language import line_locale
from lineclose.services.lines import line_facts, local_today, profile_of
from lineclose.services.sms_callbacks import delivery_reports
from lineclose.services.views import quote_view

Result = dict[str, Any]
Handler = Callable[[Session, Deps, Claimed], Result]


def _request(session: Session, claimed: Claimed) -> models.ClosureRequest:
    assert claimed.request_id is not None
    request = session.get(models.ClosureRequest, claimed.request_id)
    assert request is not None
    return request


def _next(session: Session, deps: Deps, request: models.ClosureRequest, step: str) -> None:
    outbox.enqueue(session, deps.clock.now(), step, f"{request.id}:{step}", request_id=request.id)


def begin_execution(session: Session, deps: Deps, claimed: Claimed) -> Result:
    """The point of no return: from here the request can no longer be withdrawn."""
    request = _request(session, claimed)
    if request.status not in (RequestState.APPROVED.value, RequestState.SCHEDULED.value):
        return {"skipped": f"request is {request.status}"}
    if any(b.get("code") == BlockerCode.LEGAL_HOLD for b in request.blockers or []):
        # A hold placed after approval (sync or import re-evaluated the request) freezes the
        # line: wait with backoff, then a dead letter staff retry once the hold is lifted.
        raise Retryable("closure", "a legal hold was placed on the line after approval")
    transition(session, deps, request, Command.EXECUTE, SYSTEM_ACTOR)
    request.line.status = LineStatus.CLOSING
    _next(session, deps, request, Step.BAR_LINE)
    return {"state": RequestState.EXECUTING.value}


def read_line_identity(session: Session, claimed: Claimed) -> dict[str, Any]:
    line = _request(session, claimed).line
    return {"imsi": line.imsi, "msisdn": line.msisdn, "line_id": line.id}


def call_hlr_bar(deps: Deps, claimed: Claimed, prepared: dict[str, Any]) -> Result:
    deps.hlr.bar(prepared["imsi"], prepared["msisdn"], claimed.key)
    return {"barred": True}


def record_bar(session: Session, deps: Deps, claimed: Claimed, result: Result) -> Result:
    request = _request(session, claimed)
    audit.append(
        session,
        deps.clock.now(),
        SYSTEM_ACTOR.label,
        "hlr.barred",
        "line",
        str(request.line_id),
        {"msisdn": mask_msisdn(request.line.msisdn)},
    )
    _next(session, deps, request, Step.SETTLE)
    return result


def settle(session: Session, deps: Deps, claimed: Claimed) -> Result:
    """Final bill at the execution date, the balances zeroed, and the refund instruction."""
    request = _request(session, claimed)
    line = request.line
    profile = profile_of(line.operator)
    now = deps.clock.now()
    today = local_today(profile, now)
    final = quote(
        line_facts(session, line, exclude_request_id=request.id),
        today,
        request.accept_etf,
        profile.refund_fee_minor.value,
    )
    charges = [
        {"label": "Prorated monthly fee", "amount_minor": final.prorated_fee.minor},
        {"label": "Usage this month", "amount_minor": final.unbilled_usage.minor},
    ]
    if final.etf_included:
        charges.append(
            {"label": "Early termination fee", "amount_minor": final.early_termination_fee.minor}
        )
    session.add(
        models.Bill(
            line_id=line.id,
            kind="final",
            period_start=today,
            period_end=today,
            amount_minor=final.total_charges.minor,
            currency=final.currency,
            due_on=today + timedelta(days=14),
            # Settled from paid credit unless the charges exceed it.
            paid_at=now if not final.amount_due.is_positive else None,
            lines_json=charges,
        )
    )
    line.paid_credit_minor = 0
    line.promo_credit_minor = 0
    line.unbilled_usage_minor = 0
    if final.refund.is_positive:
        assert request.refund_account_enc and request.refund_account_masked
        session.add(
            models.RefundInstruction(
                request_id=request.id,
                amount_minor=final.refund.minor,
                currency=final.currency,
                account_enc=request.refund_account_enc,
                account_masked=request.refund_account_masked,
                status="instructed",
                idempotency_key=f"{request.id}:refund",
                created_at=now,
            )
        )
    open_debt(session, deps, request, final.amount_due.minor)
    request.quote = {**quote_view(final), "charges": charges}
    audit.append(
        session,
        now,
        SYSTEM_ACTOR.label,
        "request.settled",
        "closure_request",
        request.reference,
        {"refund_minor": final.refund.minor, "amount_due_minor": final.amount_due.minor},
    )
    _next(session, deps, request, Step.FINALIZE)
    return {"refund_minor": final.refund.minor, "amount_due_minor": final.amount_due.minor}


def finalize(session: Session, deps: Deps, claimed: Claimed) -> Result:
    """Certificate, line closed, number aging, request closed, notices to the alternate contact."""
    request = _request(session, claimed)
    line = request.line
    profile = profile_of(line.operator)
    now = deps.clock.now()
    today = local_today(profile, now)
    subscriber = line.subscriber
    code = verification_code()
    holder = deps.vault.decrypt(subscriber.name_enc) if subscriber.name_enc else ""
    refund = session.execute(
        select(models.RefundInstruction).where(models.RefundInstruction.request_id == request.id)
    ).scalar_one_or_none()
    session.add(
        models.Certificate(
            request_id=request.id,
            code=code,
            issued_at=now,
            content={
                "reference": request.reference,
                "operator": line.operator.name,
                "locale": line_locale(line),
                "timezone": profile.timezone,
                "masked_msisdn": mask_msisdn(line.msisdn),
                "masked_holder": mask_name(holder) if holder else "",
                "masked_id_number": subscriber.id_number_masked or "",
                "closed_at": now.isoformat(),
                "quote": request.quote or {},
                "refund_minor": refund.amount_minor if refund else 0,
                "refund_destination_masked": refund.account_masked if refund else "",
            },
        )
    )
    line.status = LineStatus.CLOSED
    line.closed_at = now
    number = session.get(models.Number, line.msisdn)
    until = aging_until(today, profile)
    if number is None:
        number = models.Number(
            msisdn=line.msisdn, operator_id=line.operator_id, updated_at=now, state=""
        )
        session.add(number)
    number.state = NumberState.AGING.value
    number.aging_until = until
    number.last_disconnected_on = today
    number.updated_at = now
    session.add(
        models.Disconnection(msisdn=line.msisdn, disconnected_on=today, request_id=request.id)
    )
    request.closed_at = now
    transition(session, deps, request, Command.COMPLETE, SYSTEM_ACTOR, {"certificate": code})
    outbox.enqueue_many(session, now, closing_notices(session, deps, [(request, code, today)]))
    return {"certificate": code, "aging_until": until.isoformat()}


def no_preparation(session: Session, claimed: Claimed) -> dict[str, Any]:
    return {}


def call_sms(deps: Deps, claimed: Claimed, prepared: dict[str, Any]) -> Result:
    payload = claimed.payload
    message_id = deps.sms.send(
        SmsMessage(
            to=deps.vault.decrypt(payload["to_enc"]),
            text=deps.vault.decrypt(payload["text_enc"]),
            key=claimed.key,
        )
    )
    return {"message_id": message_id, "to": payload.get("to_masked", "")}


def call_email(deps: Deps, claimed: Claimed, prepared: dict[str, Any]) -> Result:
    payload = claimed.payload
    message_id = deps.email.send(
        EmailMessage(
            to=deps.vault.decrypt(payload["to_enc"]),
            subject=deps.vault.decrypt(payload["subject_enc"]),
            body=deps.vault.decrypt(payload["text_enc"]),
            key=claimed.key,
        )
    )
    return {"message_id": message_id, "to": payload.get("to_masked", "")}


class OutcomeUnknown(Exception):
    """An earlier attempt may have reached the gateway and nothing can tell whether it did."""


def _waited(deps: Deps, since: datetime) -> float:
    return (deps.clock.now() - since).total_seconds()


def resolve_sms(session: Session, deps: Deps, claimed: Claimed) -> Result:
    """An interrupted send counts as sent once the gateway reports on the message (any report
    type means it took it). A gateway that reports is given `sms_report_wait_seconds` from the
    interrupted attempt; after that, or at once with one that cannot report, it is unknown."""
    assert claimed.attempted_at is not None
    reports = delivery_reports(session, claimed.key)
    if reports:
        return {
            "message_id": claimed.key,
            "to": claimed.payload.get("to_masked", ""),
            "confirmed_by": "delivery_report",
            "delivery": reports[-1].get("status"),
        }
    if deps.sms.reports_delivery and _waited(deps, claimed.attempted_at) < (
        deps.settings.sms_report_wait_seconds
    ):
        raise Retryable("sms", "waiting for the delivery report of an interrupted send")
    raise OutcomeUnknown(
        "an interrupted send may have reached the SMS gateway and no delivery report came: "
        "check with the recipient before sending again"
    )


def resolve_email(session: Session, deps: Deps, claimed: Claimed) -> Result:
    """A mail server cannot be asked what it received, so an interrupted send is unknown. A
    resend by staff carries the same Message-ID, so mail systems can recognise the repeat."""
    raise OutcomeUnknown(
        "an interrupted send may have reached the mail server, which cannot be asked: "
        "check before sending again"
    )


def call_hlr_bar_ported(deps: Deps, claimed: Claimed, prepared: dict[str, Any]) -> Result:
    deps.hlr.bar(claimed.payload["imsi"], claimed.payload["msisdn"], claimed.key)
    return {"barred": True}


def call_hlr_purge(deps: Deps, claimed: Claimed, prepared: dict[str, Any]) -> Result:
    deps.hlr.purge(claimed.payload["imsi"], claimed.key)
    return {"purged": True}


def record_nothing(session: Session, deps: Deps, claimed: Claimed, result: Result) -> Result:
    return result


@dataclass(frozen=True)
class StepHandler:
    """A step that only changes the database runs `record` alone, in the step's transaction.

    A step that calls an outside system reads what it needs (`prepare`), makes the call with
    no transaction open (`call`), so no lock is held while a gateway answers, then `record`s
    the outcome in the transaction that marks the step done.

    A step with `resolve` must not repeat its call: the worker commits an attempt mark before
    calling, and an attempt that finds an earlier mark runs `resolve` instead of `call`.
    """

    record: Callable[[Session, Deps, Claimed, Result], Result]
    prepare: Callable[[Session, Claimed], dict[str, Any]] | None = None
    call: Callable[[Deps, Claimed, dict[str, Any]], Result] | None = None
    resolve: Callable[[Session, Deps, Claimed], Result] | None = None


def _db_only(handler: Handler) -> StepHandler:
    return StepHandler(record=lambda session, deps, claimed, _: handler(session, deps, claimed))


STEPS: dict[str, StepHandler] = {
    Step.BEGIN_EXECUTION: _db_only(begin_execution),
    Step.BAR_LINE: StepHandler(record=record_bar, prepare=read_line_identity, call=call_hlr_bar),
    Step.SETTLE: _db_only(settle),
    Step.FINALIZE: _db_only(finalize),
    Step.SEND_SMS: StepHandler(
        record=record_nothing, prepare=no_preparation, call=call_sms, resolve=resolve_sms
    ),
    Step.SEND_EMAIL: StepHandler(
        record=record_nothing, prepare=no_preparation, call=call_email, resolve=resolve_email
    ),
    Step.PURGE_HLR: StepHandler(record=record_nothing, prepare=no_preparation, call=call_hlr_purge),
    Step.BAR_PORTED_LINE: StepHandler(
        record=record_nothing, prepare=no_preparation, call=call_hlr_bar_ported
    ),
}
