"""Reviewing a closure: approve (four eyes, two approvers above a refund threshold), reject with
reasons from the rejection vocabulary, hand an escalated review to a named reviewer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.domain import approvals
from lineclose.domain.approvals import ApprovalStep, decide_approval
from lineclose.domain.eligibility import Eligibility
from lineclose.domain.rejections import ReviewReason, rejection_detail
from lineclose.domain.states import Command, RequestState
from lineclose.errors import Conflict, Forbidden, InvalidInput
from lineclose.services.closure.assessment import evaluate_request
from lineclose.services.closure.references import ensure_can_act, get_request
from lineclose.services.closure.transitions import notify_line, start_execution, transition
from lineclose.services.context import SYSTEM_ACTOR, Actor, Deps, Role
from lineclose.services.language import line_locale, rejection_words
from lineclose.services.lines import local_today, profile_of


def ensure_reviewer(actor: Actor, request: models.ClosureRequest) -> None:
    """Reviewers and admins decide; a supervisor decides only reviews that were escalated."""
    if actor.role is Role.SUPERVISOR:
        if request.escalated_at is None:
            raise Forbidden(
                "a supervisor decides only escalated (overdue) reviews", code="not_escalated"
            )
        return
    if actor.role not in (Role.REVIEWER, Role.ADMIN, Role.SYSTEM):
        raise Forbidden("only a reviewer can decide a closure request", code="reviewer_only")


def _threshold_minor(request: models.ClosureRequest) -> int:
    return profile_of(request.line.operator).second_approval_refund_minor.value


def needs_second_approver(request: models.ClosureRequest, result: Eligibility) -> bool:
    """A refund above the profile's threshold takes two different reviewers."""
    return approvals.needs_second_approver(result.quote.refund.minor, _threshold_minor(request))


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


def finish_approval(
    session: Session,
    deps: Deps,
    request: models.ClosureRequest,
    actor: Actor,
    reason: dict[str, Any],
    result: Eligibility,
) -> None:
    """Approve with the eligibility already evaluated: refused while blockers remain; then the
    closure is scheduled for a later requested date or starts executing today."""
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
    notify_line(session, deps, request, "approved", event, date=closing_on.isoformat())
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


def approve(
    session: Session, deps: Deps, actor: Actor, reference: str, note: str = ""
) -> models.ClosureRequest:
    """Approve a request under review. Nobody approves a request they submitted; a refund above
    the profile's `second_approval_refund_minor` needs two different approvers: the first is
    recorded (the request stays under review) and the second moves it to approved.
    Eligibility is evaluated once and used for both the threshold and the blockers."""
    request = get_request(session, reference)
    ensure_reviewer(actor, request)
    ensure_can_act(actor, request)
    if request.submitted_by == actor.label:
        raise Forbidden(
            "a reviewer cannot approve a request they submitted", code="four_eyes_required"
        )
    reason: dict[str, Any] = {"note": note} if note else {}
    result = evaluate_request(session, deps, request)
    if request.status == RequestState.UNDER_REVIEW.value:
        refund_minor = result.quote.refund.minor
        threshold = _threshold_minor(request)
        earlier = (
            first_approvals(session, request)
            if approvals.needs_second_approver(refund_minor, threshold)
            else []
        )
        decision = decide_approval(actor.label, refund_minor, threshold, earlier)
        if decision.step is ApprovalStep.RECORD_FIRST:
            transition(
                session,
                deps,
                request,
                Command.RECORD_FIRST_APPROVAL,
                actor,
                {**reason, "refund_minor": refund_minor, "awaiting": "second"},
            )
            return request
        if decision.step is ApprovalStep.REFUSED_SAME_APPROVER:
            raise Forbidden(
                "this refund needs a second approver other than you",
                code="second_approver_required",
            )
        if decision.first_approved_by is not None:
            reason["first_approved_by"] = decision.first_approved_by
    finish_approval(session, deps, request, actor, reason, result)
    return request


def assign(
    session: Session, deps: Deps, actor: Actor, reference: str, reviewer: str
) -> models.ClosureRequest:
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
    return request


def reject(
    session: Session, deps: Deps, actor: Actor, reference: str, reasons: list[ReviewReason]
) -> models.ClosureRequest:
    """Refuse with at least one reason; each reason carries the remedy the subscriber is shown."""
    if not reasons:
        raise InvalidInput("give at least one reason code", code="reason_required", field="reasons")
    request = get_request(session, reference)
    ensure_reviewer(actor, request)
    ensure_can_act(actor, request)
    detail = rejection_detail(reasons)
    event = transition(session, deps, request, Command.REJECT, actor, {"reasons": detail})
    request.rejection = {"reasons": detail, "by": actor.label, "at": event.at.isoformat()}
    reason = rejection_words(detail, line_locale(request.line))
    notify_line(session, deps, request, "rejected", event, reason=reason)
    return request
