"""Closure requests: submit, route, review, resubmit, withdraw. Every status change goes through `transition`."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum import iban
from stdnum.exceptions import ValidationError

from lineclose.db import audit, models, outbox
from lineclose.domain.eligibility import Eligibility, evaluate
from lineclose.domain.facts import ClosureIntent, IdentityMethod, LineFacts
from lineclose.domain.identifiers import (
    InvalidIdentifier,
    mask_account,
    mask_contact,
    mask_msisdn,
    normalize_msisdn,
)
from lineclose.domain.policies import AutoApprovalPolicy, decide_auto_approval
from lineclose.domain.states import Command, RequestState, TransitionRefused, next_state
from lineclose.errors import (
    Conflict,
    Forbidden,
    IdempotencyMismatch,
    InvalidInput,
    NotFound,
    TransitionNotAllowed,
)
from lineclose.services.context import SYSTEM_ACTOR, Actor, Deps, Role
from lineclose.services.identity import IdentityEvidence, verify_evidence
from lineclose.services.lines import (
    calendar_for,
    ensure_can_see_line,
    find_line,
    line_facts,
    local_today,
    profile_of,
)
from lineclose.services.notices import enqueue_sms
from lineclose.services.views import blocker_view, quote_view

BEGIN_EXECUTION = "begin_execution"

_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class RejectionReason(StrEnum):
    """Why a reviewer refused, each tied to the remedy the subscriber is shown."""

    ID_MISMATCH = "ID_MISMATCH"
    DOCUMENT_UNREADABLE = "DOCUMENT_UNREADABLE"
    REFUND_ACCOUNT_INVALID = "REFUND_ACCOUNT_INVALID"
    HOLDER_NOT_REQUESTER = "HOLDER_NOT_REQUESTER"
    FLEET_AUTHORISATION_MISSING = "FLEET_AUTHORISATION_MISSING"
    FRAUD_SUSPECTED = "FRAUD_SUSPECTED"
    OTHER = "OTHER"


REMEDY_FOR_REASON: dict[RejectionReason, str] = {
    RejectionReason.ID_MISMATCH: "VERIFY_IDENTITY",
    RejectionReason.DOCUMENT_UNREADABLE: "VERIFY_ID_DOCUMENT_IN_STORE",
    RejectionReason.REFUND_ACCOUNT_INVALID: "CORRECT_REFUND_ACCOUNT",
    RejectionReason.HOLDER_NOT_REQUESTER: "HOLDER_MUST_REQUEST",
    RejectionReason.FLEET_AUTHORISATION_MISSING: "PROVIDE_FLEET_AUTHORISATION",
    RejectionReason.FRAUD_SUSPECTED: "VISIT_STORE_WITH_ID_DOCUMENT",
    RejectionReason.OTHER: "CONTACT_SUPPORT",
}


@dataclass(frozen=True)
class ClosureInput:
    """What a requester gives when submitting or resubmitting."""

    refund_account: str | None = None
    alternate_contact: str | None = None
    acknowledged_bindings: tuple[int, ...] = ()
    accept_etf: bool = False
    requested_date: date | None = None
    schedule_at_term_end: bool = False
    identity: tuple[IdentityEvidence, ...] = ()

    def digest(self, msisdn: str, channel: str) -> str:
        body = {
            "msisdn": msisdn,
            "channel": channel,
            "refund_account": self.refund_account,
            "alternate_contact": self.alternate_contact,
            "acknowledged_bindings": sorted(self.acknowledged_bindings),
            "accept_etf": self.accept_etf,
            "requested_date": self.requested_date.isoformat() if self.requested_date else None,
            "schedule_at_term_end": self.schedule_at_term_end,
            "identity": sorted(e.method.value for e in self.identity),
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class ReviewReason:
    code: RejectionReason
    note: str = ""


@dataclass
class Submitted:
    request: models.ClosureRequest
    created: bool
    eligibility: Eligibility | None = field(default=None)


def _new_reference(year: int) -> str:
    return f"LC-{year}-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))


def _validate_refund_account(raw: str) -> str:
    compact = "".join(raw.split()).upper()
    if compact[:2].isalpha():
        try:
            return str(iban.validate(compact))
        except ValidationError as exc:
            raise InvalidInput(
                "refund_account is not a valid IBAN: check the country code and digits",
                code="invalid_refund_account",
                field="refund_account",
            ) from exc
    if not compact.isdigit() or not 8 <= len(compact) <= 34:
        raise InvalidInput(
            "refund_account must be an IBAN or a bank account number of 8 to 34 digits",
            code="invalid_refund_account",
            field="refund_account",
        )
    return compact


def _validate_contact(raw: str, line_msisdn: str) -> str:
    text = raw.strip()
    if "@" in text:
        local, _, domain = text.partition("@")
        if not local or "." not in domain or " " in text:
            raise InvalidInput(
                "alternate_contact must be an e-mail address or a phone number",
                code="invalid_alternate_contact",
                field="alternate_contact",
            )
        return text
    try:
        number = normalize_msisdn(text)
    except InvalidIdentifier as exc:
        raise InvalidInput(
            "alternate_contact must be an e-mail address or a phone number in E.164 form",
            code="invalid_alternate_contact",
            field="alternate_contact",
        ) from exc
    if number == line_msisdn:
        raise InvalidInput(
            "alternate_contact must not be the line being closed: it cannot receive notices after",
            code="invalid_alternate_contact",
            field="alternate_contact",
        )
    return number


def _apply_input(
    session: Session, deps: Deps, actor: Actor, request: models.ClosureRequest, given: ClosureInput
) -> None:
    """Validate everything before changing anything, then copy onto the request."""
    line = request.line
    today = local_today(profile_of(line.operator), deps.clock.now())
    requested = given.requested_date
    if requested is not None and requested < today:
        raise InvalidInput(
            f"requested_date {requested.isoformat()} is in the past: choose today or later",
            code="date_in_past",
            field="requested_date",
        )
    if given.schedule_at_term_end:
        contract = session.execute(
            select(models.Contract).where(models.Contract.line_id == line.id)
        ).scalar_one_or_none()
        if contract is None:
            raise InvalidInput(
                "schedule_at_term_end needs a line with a contract", code="no_contract"
            )
        requested = max(contract.commitment_end, today)
    known_bindings = set(
        session.execute(
            select(models.Binding.id).where(models.Binding.line_id == line.id)
        ).scalars()
    )
    unknown = [b for b in given.acknowledged_bindings if b not in known_bindings]
    if unknown:
        raise InvalidInput(
            f"acknowledged_bindings lists bindings not on this line: {unknown}",
            code="unknown_binding",
            field="acknowledged_bindings",
        )
    account = _validate_refund_account(given.refund_account) if given.refund_account else None
    contact = (
        _validate_contact(given.alternate_contact, line.msisdn) if given.alternate_contact else None
    )
    methods = verify_evidence(session, deps, actor, line, list(given.identity))

    request.requested_date = requested
    request.accept_etf = given.accept_etf
    request.acknowledged_bindings = sorted(given.acknowledged_bindings)
    request.identity_methods = sorted(
        {*(IdentityMethod(m) for m in request.identity_methods or []), *methods}
    )
    if account:
        request.refund_account_enc = deps.vault.encrypt(account)
        request.refund_account_masked = mask_account(account)
    if contact:
        request.alternate_contact_enc = deps.vault.encrypt(contact)
        request.alternate_contact_masked = mask_contact(contact)


def transition(
    session: Session,
    deps: Deps,
    request: models.ClosureRequest,
    command: Command,
    actor: Actor,
    reason: dict[str, Any] | None = None,
    new_request: bool = False,
) -> models.RequestEvent:
    """The one place a request's status changes: checks the table, stamps, records history and audit."""
    current = None if new_request else RequestState(request.status)
    try:
        target = next_state(current, command)
    except TransitionRefused as exc:
        hint = (
            " (the closure is already executing: past the point of no return)"
            if current in (RequestState.EXECUTING, RequestState.CLOSED)
            else ""
        )
        raise TransitionNotAllowed(
            str(exc) + hint, state=current.value if current else None
        ) from exc
    now = deps.clock.now()
    request.status = target.value
    request.updated_at = now
    event = models.RequestEvent(
        request_id=request.id,
        from_state=current.value if current else None,
        to_state=target.value,
        command=command.value,
        actor=actor.label,
        channel=actor.channel.value,
        reason=reason or {},
        at=now,
    )
    session.add(event)
    session.flush()
    audit.append(
        session,
        now,
        actor.label,
        f"request.{command.value}",
        "closure_request",
        request.reference,
        {
            "from": event.from_state,
            "to": target.value,
            "channel": actor.channel.value,
            **(reason or {}),
        },
    )
    return event


def evaluate_request(session: Session, deps: Deps, request: models.ClosureRequest) -> Eligibility:
    return _evaluate_with_facts(session, deps, request)[1]


def _evaluate_with_facts(
    session: Session, deps: Deps, request: models.ClosureRequest
) -> tuple[LineFacts, Eligibility]:
    line = request.line
    profile = profile_of(line.operator)
    intent = ClosureIntent(
        requested_date=request.requested_date,
        accept_etf=request.accept_etf,
        acknowledged_binding_ids=frozenset(request.acknowledged_bindings or []),
        identity_methods=frozenset(IdentityMethod(m) for m in request.identity_methods or []),
    )
    facts = line_facts(session, line, exclude_request_id=request.id)
    return facts, evaluate(
        facts,
        intent,
        profile,
        calendar_for(session, profile),
        local_today(profile, deps.clock.now()),
    )


def _notify_line(
    session: Session,
    deps: Deps,
    request: models.ClosureRequest,
    notice: str,
    event_id: int,
    **values: Any,
) -> None:
    line = request.line
    enqueue_sms(
        session,
        deps,
        key=f"{request.id}:notice:{notice}:{event_id}",
        to=line.msisdn,
        notice=notice,
        locale=profile_of(line.operator).locale,
        values={
            "reference": request.reference,
            "msisdn": mask_msisdn(line.msisdn),
            "operator": line.operator.name,
            **values,
        },
        request_id=request.id,
    )


def route(session: Session, deps: Deps, request: models.ClosureRequest) -> Eligibility:
    """After a (re)submission: blockers send it back to the requester, a clean one goes to review,
    and the operator's auto-approval policy may approve it at once, with its reasons recorded."""
    facts, result = _evaluate_with_facts(session, deps, request)
    request.blockers = [blocker_view(b) for b in result.blockers]
    request.quote = {**quote_view(result.quote), "review_due_on": result.review_due_on.isoformat()}
    if result.blockers:
        event = transition(
            session,
            deps,
            request,
            Command.RAISE_BLOCKERS,
            SYSTEM_ACTOR,
            {"blockers": result.blocker_codes},
        )
        _notify_line(
            session, deps, request, "needs_action", event.id, action=", ".join(result.blocker_codes)
        )
        return result
    if result.quote.refund.is_positive and not request.refund_account_enc:
        raise InvalidInput(
            "refund_account is required: this line has a balance to refund",
            code="refund_account_required",
            field="refund_account",
        )
    request.review_due_on = result.review_due_on
    request.escalated_at = None
    line = request.line
    decision = decide_auto_approval(
        AutoApprovalPolicy.from_settings(line.operator.auto_approval), facts, result
    )
    event = transition(
        session,
        deps,
        request,
        Command.QUEUE_FOR_REVIEW,
        SYSTEM_ACTOR,
        {"review_due_on": result.review_due_on.isoformat()},
    )
    _notify_line(session, deps, request, "request_received", event.id)
    if decision.approve and not needs_second_approver(request, result):
        _approve(session, deps, request, SYSTEM_ACTOR, {"auto_approved": list(decision.reasons)})
    return result


def submit(
    session: Session,
    deps: Deps,
    actor: Actor,
    raw_msisdn: str,
    given: ClosureInput,
    idempotency_key: str | None = None,
) -> Submitted:
    line = find_line(session, raw_msisdn)
    ensure_can_see_line(actor, line)
    digest = given.digest(line.msisdn, actor.channel.value)
    if idempotency_key:
        key = f"{actor.label}:{idempotency_key}"
        existing = session.execute(
            select(models.ClosureRequest).where(models.ClosureRequest.idempotency_key == key)
        ).scalar_one_or_none()
        if existing is not None:
            if existing.payload_digest != digest:
                raise IdempotencyMismatch(
                    "this Idempotency-Key was used for a different request: use a new key"
                )
            return Submitted(existing, created=False)
    else:
        key = None
    open_request = session.execute(
        select(models.ClosureRequest.reference).where(
            models.ClosureRequest.line_id == line.id,
            models.ClosureRequest.status.notin_(
                [RequestState.CLOSED.value, RequestState.WITHDRAWN.value]
            ),
        )
    ).scalar_one_or_none()
    if open_request:
        raise Conflict(
            f"this line already has an open closure request {open_request}",
            code="open_request_exists",
            reference=open_request,
        )
    if line.status == "closed":
        raise Conflict("this line is already closed", code="line_closed")
    now = deps.clock.now()
    request = models.ClosureRequest(
        reference=_new_reference(now.year),
        operator_id=line.operator_id,
        line_id=line.id,
        line=line,
        status=RequestState.SUBMITTED.value,
        channel=actor.channel.value,
        submitted_by=actor.label,
        idempotency_key=key,
        payload_digest=digest,
        acknowledged_bindings=[],
        identity_methods=[],
        blockers=[],
        submitted_at=now,
        created_at=now,
        updated_at=now,
    )
    _apply_input(session, deps, actor, request, given)
    session.add(request)
    session.flush()
    transition(session, deps, request, Command.SUBMIT, actor, new_request=True)
    result = route(session, deps, request)
    return Submitted(request, created=True, eligibility=result)


def get_request(session: Session, reference: str) -> models.ClosureRequest:
    request = session.execute(
        select(models.ClosureRequest).where(
            models.ClosureRequest.reference == reference.strip().upper()
        )
    ).scalar_one_or_none()
    if request is None:
        raise NotFound("no closure request with this reference", code="unknown_request")
    return request


def ensure_can_act(actor: Actor, request: models.ClosureRequest) -> None:
    ensure_can_see_line(actor, request.line)


def resubmit(
    session: Session, deps: Deps, actor: Actor, reference: str, given: ClosureInput
) -> Eligibility:
    request = get_request(session, reference)
    ensure_can_act(actor, request)
    if request.status not in (RequestState.NEEDS_ACTION.value, RequestState.REJECTED.value):
        raise TransitionNotAllowed(
            f"a request that is {request.status} cannot be resubmitted",
            state=request.status,
        )
    _apply_input(session, deps, actor, request, given)
    request.submitted_at = deps.clock.now()
    request.rejection = None
    transition(session, deps, request, Command.RESUBMIT, actor)
    return route(session, deps, request)


def _ensure_reviewer(actor: Actor, request: models.ClosureRequest) -> None:
    """Reviewers and admins decide; a supervisor decides only reviews that were escalated."""
    if actor.role is Role.SUPERVISOR:
        if request.escalated_at is None:
            raise Forbidden(
                "a supervisor decides only escalated (overdue) reviews", code="not_escalated"
            )
        return
    if actor.role not in (Role.REVIEWER, Role.ADMIN, Role.SYSTEM):
        raise Forbidden("only a reviewer can decide a closure request", code="reviewer_only")


def needs_second_approver(request: models.ClosureRequest, result: Eligibility) -> bool:
    """A refund above the profile's threshold takes two different reviewers."""
    threshold = profile_of(request.line.operator).second_approval_refund_minor.value
    return result.quote.refund.minor > threshold


def first_approvals(session: Session, request: models.ClosureRequest) -> list[str]:
    """Who recorded a first approval since the request last entered review (a resubmission
    starts over: the reviewer approved what was shown then)."""
    last_queued = (
        session.execute(
            select(models.RequestEvent.id)
            .where(
                models.RequestEvent.request_id == request.id,
                models.RequestEvent.command == Command.QUEUE_FOR_REVIEW.value,
            )
            .order_by(models.RequestEvent.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        or 0
    )
    return list(
        session.execute(
            select(models.RequestEvent.actor)
            .where(
                models.RequestEvent.request_id == request.id,
                models.RequestEvent.command == Command.RECORD_FIRST_APPROVAL.value,
                models.RequestEvent.id > last_queued,
            )
            .order_by(models.RequestEvent.id)
        ).scalars()
    )


def _approve(
    session: Session,
    deps: Deps,
    request: models.ClosureRequest,
    actor: Actor,
    reason: dict[str, Any],
) -> None:
    result = evaluate_request(session, deps, request)
    if result.blockers:
        raise Conflict(
            "the request cannot be approved while blockers remain: "
            + ", ".join(result.blocker_codes),
            code="blockers_present",
            blockers=result.blocker_codes,
        )
    event = transition(session, deps, request, Command.APPROVE, actor, reason)
    today = local_today(profile_of(request.line.operator), deps.clock.now())
    closing_on = (
        request.requested_date
        if request.requested_date and request.requested_date > today
        else today
    )
    _notify_line(session, deps, request, "approved", event.id, date=closing_on.isoformat())
    if request.requested_date and request.requested_date > today:
        request.scheduled_for = request.requested_date
        transition(
            session,
            deps,
            request,
            Command.SCHEDULE,
            SYSTEM_ACTOR,
            {"scheduled_for": request.requested_date.isoformat()},
        )
    else:
        start_execution(session, deps, request)


def start_execution(session: Session, deps: Deps, request: models.ClosureRequest) -> None:
    outbox.enqueue(
        session,
        deps.clock.now(),
        BEGIN_EXECUTION,
        f"{request.id}:{BEGIN_EXECUTION}",
        request_id=request.id,
    )


def approve(session: Session, deps: Deps, actor: Actor, reference: str, note: str = "") -> None:
    """Approve a request under review. Nobody approves a request they submitted; a refund above
    the profile's `second_approval_refund_minor` needs two different approvers: the first is
    recorded (the request stays under review) and the second moves it to approved."""
    request = get_request(session, reference)
    _ensure_reviewer(actor, request)
    ensure_can_act(actor, request)
    if request.submitted_by == actor.label:
        raise Forbidden(
            "a reviewer cannot approve a request they submitted", code="four_eyes_required"
        )
    reason: dict[str, Any] = {"note": note} if note else {}
    if request.status == RequestState.UNDER_REVIEW.value:
        result = evaluate_request(session, deps, request)
        if needs_second_approver(request, result):
            earlier = first_approvals(session, request)
            if not earlier:
                transition(
                    session,
                    deps,
                    request,
                    Command.RECORD_FIRST_APPROVAL,
                    actor,
                    {**reason, "refund_minor": result.quote.refund.minor, "awaiting": "second"},
                )
                return
            if actor.label in earlier:
                raise Forbidden(
                    "this refund needs a second approver other than you",
                    code="second_approver_required",
                )
            reason["first_approved_by"] = earlier[0]
    _approve(session, deps, request, actor, reason)


def assign(session: Session, deps: Deps, actor: Actor, reference: str, reviewer: str) -> None:
    """A supervisor hands an escalated review to a named reviewer; recorded in the audit log."""
    if actor.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("only a supervisor can reassign a review", code="supervisor_only")
    request = get_request(session, reference)
    ensure_can_act(actor, request)
    if request.status != RequestState.UNDER_REVIEW.value or request.escalated_at is None:
        raise Conflict(
            "only escalated reviews are reassigned", code="not_escalated", state=request.status
        )
    name = reviewer.strip()[:80]
    if not name:
        raise InvalidInput("name the reviewer", code="reviewer_required", field="reviewer")
    previous = request.assigned_to
    request.assigned_to = name
    request.updated_at = deps.clock.now()
    audit.append(
        session,
        deps.clock.now(),
        actor.label,
        "request.assigned",
        "closure_request",
        request.reference,
        {"from": previous, "to": name},
    )


def reject(
    session: Session, deps: Deps, actor: Actor, reference: str, reasons: list[ReviewReason]
) -> None:
    if not reasons:
        raise InvalidInput("give at least one reason code", code="reason_required", field="reasons")
    request = get_request(session, reference)
    _ensure_reviewer(actor, request)
    ensure_can_act(actor, request)
    detail = [
        {"code": r.code.value, "remedy": REMEDY_FOR_REASON[r.code], "note": r.note.strip()[:500]}
        for r in reasons
    ]
    event = transition(session, deps, request, Command.REJECT, actor, {"reasons": detail})
    request.rejection = {"reasons": detail, "by": actor.label, "at": event.at.isoformat()}
    _notify_line(
        session, deps, request, "rejected", event.id, reason=", ".join(r["code"] for r in detail)
    )


def withdraw(session: Session, deps: Deps, actor: Actor, reference: str, note: str = "") -> None:
    request = get_request(session, reference)
    ensure_can_act(actor, request)
    transition(session, deps, request, Command.WITHDRAW, actor, {"note": note} if note else {})
