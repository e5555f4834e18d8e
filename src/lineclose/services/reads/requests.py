"""Closure requests as people see them: one request, the review queue, escalations, the audit.

`overdue` is counted on the operator's local day (a review due today in Shanghai is not late at
16:30 UTC), the same for the API, the pages and the CLI.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.domain.identifiers import mask_msisdn
from lineclose.domain.states import OPEN_STATES, RequestState, allowed_commands
from lineclose.errors import NotFound
from lineclose.services.access import Action, ensure
from lineclose.services.context import Actor, Deps
from lineclose.services.lines import ensure_can_see_line, local_today, profile_of
from lineclose.services.reads.models import (
    AuditRow,
    HistoryEntry,
    QueueEntry,
    RefundView,
    RequestDetail,
    RequestView,
)

NEXT_STEP = {
    RequestState.NEEDS_ACTION: "fix the blockers listed, then resubmit on the same reference",
    RequestState.UNDER_REVIEW: "a reviewer decides by the review due date",
    RequestState.REJECTED: "see the reasons and remedies, then resubmit on the same reference",
    RequestState.APPROVED: "the closure starts shortly; you can still withdraw until it does",
    RequestState.SCHEDULED: "the closure starts on the scheduled date; you can withdraw until then",
    RequestState.EXECUTING: "the line is being closed; this can no longer be withdrawn",
    RequestState.CLOSED: "closed: the certificate can be verified with its code",
    RequestState.WITHDRAWN: "withdrawn: the line stays active",
    RequestState.SUBMITTED: "the request is being checked",
}


def rejection_shown(rejection: dict[str, Any] | None) -> dict[str, Any] | None:
    """A rejection names the reviewer's role, never the person: the subscriber reads it, and
    staff find the person in the audit trail."""
    if rejection is None:
        return None
    by = str(rejection.get("by") or "")
    return {**rejection, "by": by.split(":")[0]}


def request_view(
    session: Session,
    deps: Deps,
    request: models.ClosureRequest,
    new_events: list[models.RequestEvent] | None = None,
) -> RequestView:
    """The request, masked, with its history; the caller has checked who may see it.

    `new_events`: a request created in this unit of work, with every event it recorded; it has
    no certificate or refund yet, so nothing is read.
    """
    state = RequestState(request.status)
    today = local_today(profile_of(request.operator), deps.clock.now())
    events: Iterable[models.RequestEvent]
    certificate: str | None = None
    refund: models.RefundInstruction | None = None
    if new_events is not None:
        events = sorted(new_events, key=lambda e: e.id)
    else:
        events = session.execute(
            select(models.RequestEvent)
            .where(models.RequestEvent.request_id == request.id)
            .order_by(models.RequestEvent.id)
        ).scalars()
        certificate = session.execute(
            select(models.Certificate.code).where(models.Certificate.request_id == request.id)
        ).scalar_one_or_none()
        refund = session.execute(
            select(models.RefundInstruction).where(
                models.RefundInstruction.request_id == request.id
            )
        ).scalar_one_or_none()
    return RequestView(
        reference=request.reference,
        status=state.value,
        msisdn=mask_msisdn(request.line.msisdn),
        channel=request.channel,
        submitted_at=request.submitted_at.isoformat(),
        review_due_on=request.review_due_on.isoformat() if request.review_due_on else None,
        overdue=bool(
            state is RequestState.UNDER_REVIEW
            and request.review_due_on
            and request.review_due_on < today
        ),
        escalated=request.escalated_at is not None,
        scheduled_for=request.scheduled_for.isoformat() if request.scheduled_for else None,
        requested_date=request.requested_date.isoformat() if request.requested_date else None,
        accept_etf=request.accept_etf,
        identity_methods=list(request.identity_methods or []),
        identity_document=request.identity_document,
        blockers=request.blockers,
        rejection=rejection_shown(request.rejection),
        quote=request.quote,
        refund_account=request.refund_account_masked,
        alternate_contact=request.alternate_contact_masked,
        refund=(
            RefundView(
                amount_minor=refund.amount_minor,
                currency=refund.currency,
                account=refund.account_masked,
                status=refund.status,
            )
            if refund
            else None
        ),
        certificate_code=certificate,
        next_step=NEXT_STEP[state],
        can_withdraw=any(c.value == "withdraw" for c in allowed_commands(state)),
        version=request.version,
        history=[
            HistoryEntry(
                at=e.at.isoformat(),
                from_state=e.from_state,
                to=e.to_state,
                command=e.command,
                actor=e.actor.split(":")[0],
                channel=e.channel,
                reason=e.reason,
            )
            for e in events
        ],
    )


def readable_request(
    session: Session, actor: Actor, reference: str, action: Action = Action.READ_REQUEST
) -> models.ClosureRequest:
    """The request if the actor may see it: its line's holder, or staff of its operator, whose
    role may read requests or take `action` on them (who changed a request sees the result)."""
    ensure(actor, action)
    request = session.execute(
        select(models.ClosureRequest).where(
            models.ClosureRequest.reference == reference.strip().upper()
        )
    ).scalar_one_or_none()
    if request is None:
        raise NotFound("no closure request with this reference", code="unknown_request")
    ensure_can_see_line(
        actor,
        request.line,
        NotFound("no closure request with this reference", code="unknown_request"),
    )
    return request


def request_by_reference(
    session: Session,
    deps: Deps,
    actor: Actor,
    reference: str,
    action: Action = Action.READ_REQUEST,
) -> RequestView:
    return request_view(session, deps, readable_request(session, actor, reference, action))


def request_detail(session: Session, deps: Deps, actor: Actor, reference: str) -> RequestDetail:
    row = readable_request(session, actor, reference)
    profile = profile_of(row.operator)
    return RequestDetail(
        view=request_view(session, deps, row),
        line_id=row.line_id,
        operator=row.operator.name,
        currency=row.line.currency,
        timezone=profile.timezone,
        today=local_today(profile, deps.clock.now()).isoformat(),
        acknowledged_bindings=list(row.acknowledged_bindings or []),
        contract_end=session.execute(
            select(models.Contract.commitment_end).where(models.Contract.line_id == row.line_id)
        ).scalar_one_or_none(),
    )


def _visible(query: Select[models.ClosureRequest], actor: Actor) -> Select[models.ClosureRequest]:
    if actor.operator_id is not None:
        query = query.where(models.ClosureRequest.operator_id == actor.operator_id)
    return query


def _entries(session: Session, deps: Deps, rows: list[models.ClosureRequest]) -> list[QueueEntry]:
    return [
        QueueEntry(
            request=request_view(session, deps, r),
            operator=r.operator.name,
            currency=r.line.currency,
        )
        for r in rows
    ]


def review_queue(
    session: Session,
    deps: Deps,
    actor: Actor,
    status: RequestState | None = RequestState.UNDER_REVIEW,
    overdue: bool = False,
    limit: int = 200,
) -> list[QueueEntry]:
    """Requests to decide, the earliest due date first, of the actor's operator when bound to
    one; `overdue` keeps only the late ones."""
    ensure(actor, Action.REVIEW_QUEUE)
    query = select(models.ClosureRequest).order_by(
        models.ClosureRequest.review_due_on, models.ClosureRequest.id
    )
    if status is not None:
        query = query.where(models.ClosureRequest.status == status.value)
    rows = list(session.execute(_visible(query, actor).limit(limit)).scalars())
    entries = _entries(session, deps, rows)
    return [e for e in entries if e.request.overdue] if overdue else entries


def escalations(session: Session, deps: Deps, actor: Actor, limit: int = 200) -> list[QueueEntry]:
    """Overdue reviews handed up for supervisors to reassign or decide."""
    ensure(actor, Action.ESCALATIONS)
    query = (
        select(models.ClosureRequest)
        .where(
            models.ClosureRequest.escalated_at.is_not(None),
            models.ClosureRequest.status == RequestState.UNDER_REVIEW.value,
        )
        .order_by(models.ClosureRequest.review_due_on, models.ClosureRequest.id)
    )
    rows = list(session.execute(_visible(query, actor).limit(limit)).scalars())
    return _entries(session, deps, rows)


def audit_trail(session: Session, actor: Actor, reference: str) -> list[AuditRow]:
    """What staff and the system did to a request, oldest first; staff only."""
    ensure(actor, Action.READ_AUDIT)
    row = readable_request(session, actor, reference)
    entries = session.execute(
        select(models.AuditEntry)
        .where(
            models.AuditEntry.entity == "closure_request",
            models.AuditEntry.entity_id == row.reference,
        )
        .order_by(models.AuditEntry.id)
    ).scalars()
    return [
        AuditRow(
            at=a.at,
            actor=a.actor,
            action=a.action,
            details=", ".join(f"{k}={v}" for k, v in sorted(a.details.items()) if k != "reasons"),
            items=[(k, str(v)) for k, v in sorted(a.details.items()) if k != "reasons"],
        )
        for a in entries
    ]


def open_request_reference(session: Session, line_id: int) -> str | None:
    """The reference of the line's request still in progress, if any (at most one)."""
    return session.execute(
        select(models.ClosureRequest.reference)
        .where(
            models.ClosureRequest.line_id == line_id,
            models.ClosureRequest.status.in_([s.value for s in OPEN_STATES]),
        )
        .limit(1)
    ).scalar_one_or_none()


def certificate_code(session: Session, actor: Actor, reference: str) -> str:
    """The code of the request's certificate, for its holder or staff; 404 before closure."""
    row = readable_request(session, actor, reference)
    code = session.execute(
        select(models.Certificate.code).where(models.Certificate.request_id == row.id)
    ).scalar_one_or_none()
    if code is None:
        raise NotFound("no certificate yet", code="unknown_certificate")
    return code
