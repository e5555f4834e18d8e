"""A line with an open closure request is not changed underneath it silently: its request's
precheck is evaluated again on the new facts and the request's history says what changed."""

from __future__ import annotations

from sqlalchemy import select

from lineclose.db import models
from lineclose.db.among import among
from lineclose.domain.identifiers import mask_msisdn
from lineclose.domain.states import RequestState
from lineclose.services.closure import evaluate_request
from lineclose.services.data_in.apply_context import ApplyContext
from lineclose.services.data_in.audit_many import Entry, append_many
from lineclose.services.views import blocker_view, quote_view

# Before execution: once a closure executes, nothing the source sends can change it.
_REEVALUATED = (
    RequestState.SUBMITTED,
    RequestState.NEEDS_ACTION,
    RequestState.UNDER_REVIEW,
    RequestState.REJECTED,
    RequestState.APPROVED,
    RequestState.SCHEDULED,
)


def reevaluate_open_requests(ctx: ApplyContext, actor: str, via: str) -> list[str]:
    """Re-run the precheck of every open request on a changed line; returns their references."""
    if not ctx.line_changes:
        return []
    session = ctx.session
    session.expire_all()  # the bulk writes went around the ORM: read the facts afresh
    requests = session.execute(
        select(models.ClosureRequest)
        .where(
            among(session, models.ClosureRequest.line_id, list(ctx.line_changes)),
            models.ClosureRequest.status.in_([s.value for s in _REEVALUATED]),
        )
        .order_by(models.ClosureRequest.id)
    ).scalars()
    entries = []
    touched = []
    for request in requests:
        before = [b["code"] for b in request.blockers or []]
        result = evaluate_request(session, ctx.deps, request)
        request.blockers = [blocker_view(b) for b in result.blockers]
        request.quote = {
            **quote_view(result.quote),
            "review_due_on": (request.review_due_on or result.review_due_on).isoformat(),
        }
        request.updated_at = ctx.now
        touched.append(request.reference)
        entries.append(
            Entry(
                "request.facts_updated",
                "closure_request",
                request.reference,
                {
                    "via": via,
                    "line": mask_msisdn(request.line.msisdn),
                    "changed": sorted(ctx.line_changes[request.line_id]),
                    "blockers_before": before,
                    "blockers_now": list(result.blocker_codes),
                },
            )
        )
    session.flush()
    append_many(session, ctx.now, actor, entries)
    return touched
