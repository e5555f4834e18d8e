"""How a closure request is shown to its requester and to staff: masked, with what happens next."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.domain.identifiers import mask_msisdn
from lineclose.domain.states import RequestState, allowed_commands

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


def request_view(session: Session, request: models.ClosureRequest, today: date) -> dict[str, Any]:
    state = RequestState(request.status)
    events = session.execute(
        select(models.RequestEvent)
        .where(models.RequestEvent.request_id == request.id)
        .order_by(models.RequestEvent.id)
    ).scalars()
    certificate = session.execute(
        select(models.Certificate.code).where(models.Certificate.request_id == request.id)
    ).scalar_one_or_none()
    refund = session.execute(
        select(models.RefundInstruction).where(models.RefundInstruction.request_id == request.id)
    ).scalar_one_or_none()
    return {
        "reference": request.reference,
        "status": state.value,
        "msisdn": mask_msisdn(request.line.msisdn),
        "channel": request.channel,
        "submitted_at": request.submitted_at.isoformat(),
        "review_due_on": request.review_due_on.isoformat() if request.review_due_on else None,
        "overdue": bool(
            state is RequestState.UNDER_REVIEW
            and request.review_due_on
            and request.review_due_on < today
        ),
        "escalated": request.escalated_at is not None,
        "scheduled_for": request.scheduled_for.isoformat() if request.scheduled_for else None,
        "requested_date": request.requested_date.isoformat() if request.requested_date else None,
        "accept_etf": request.accept_etf,
        "identity_methods": request.identity_methods,
        "blockers": request.blockers,
        "rejection": request.rejection,
        "quote": request.quote,
        "refund_account": request.refund_account_masked,
        "alternate_contact": request.alternate_contact_masked,
        "refund": (
            {
                "amount_minor": refund.amount_minor,
                "currency": refund.currency,
                "account": refund.account_masked,
                "status": refund.status,
            }
            if refund
            else None
        ),
        "certificate_code": certificate,
        "next_step": NEXT_STEP[state],
        "can_withdraw": any(c.value == "withdraw" for c in allowed_commands(state)),
        "version": request.version,
        "history": [
            {
                "at": e.at.isoformat(),
                "from": e.from_state,
                "to": e.to_state,
                "command": e.command,
                "actor": e.actor.split(":")[0],
                "channel": e.channel,
                "reason": e.reason,
            }
            for e in events
        ],
    }
