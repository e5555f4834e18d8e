"""A closure request in the console: its detail and audit, approving, rejecting, assigning."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import Response

from lineclose.domain.states import RequestState
from lineclose.errors import InvalidInput, LinecloseError
from lineclose.services import closure
from lineclose.services.closure import RejectionReason
from lineclose.services.context import Channel
from lineclose.services.reads.lines import line_overview
from lineclose.services.reads.requests import audit_trail, request_detail
from lineclose.services.reads.review import review_state
from lineclose.web.pages.console.models import RequestPage
from lineclose.web.pages.signin import Signed, StaffPage, StaffReadingPage

router = APIRouter(prefix="/console")
FormStr = Annotated[str, Form()]

NOTICES = {
    "approved": "The request is approved.",
    "rejected": "The request is rejected.",
    "first_approval": (
        "Your approval is recorded. This refund needs a second approval by another reviewer."
    ),
    "assigned": "The review is assigned.",
}


def request_page(signed: Signed, reference: str, **shown: Any) -> RequestPage:
    session, deps, actor = signed.session, signed.deps, signed.actor
    detail = request_detail(session, deps, actor, reference)
    review = review_state(session, deps, actor, reference)
    return RequestPage(
        staff=signed.staff,
        req=detail.view,
        line=line_overview(session, deps, actor, detail.line_id).summary,
        currency=detail.currency,
        timezone=detail.timezone,
        current=review.current,
        audit=audit_trail(session, actor, reference),
        reasons=[r.value for r in RejectionReason],
        can_decide=review.can_decide,
        approval=review.approval,
        assigned_to=review.assigned_to,
        can_assign=review.can_assign,
        **shown,
    )


@router.get("/requests/{reference}")
def show_request(reference: str, signed: StaffReadingPage, done: str = "") -> Response:
    notice = signed.view.t(NOTICES[done]) if done in NOTICES else None
    return signed.view.render(
        "console/request.html", request_page(signed, reference, notice=notice)
    )


def _refused(signed: Signed, reference: str, **shown: Any) -> Callable[[LinecloseError], Response]:
    """The request page again with the reason for the refusal and what the reviewer typed."""

    def render(exc: LinecloseError) -> Response:
        page = request_page(signed, reference, error=signed.view.error_text(exc), **shown)
        return signed.view.render("console/request.html", page, exc.status)

    return render


@router.post("/requests/{reference}/decide")
def decide(
    reference: str,
    signed: StaffPage,
    csrf: FormStr = "",
    decision: FormStr = "",
    note: FormStr = "",
    reason: Annotated[list[str] | None, Form()] = None,
) -> Response:
    acting = signed.acting_through(Channel.CONSOLE)
    codes = [r for r in reason or [] if r in RejectionReason.__members__]

    def change() -> Response:
        acting.view.check_csrf(csrf)
        session, deps, actor = acting.session, acting.deps, acting.actor
        if decision == "approve":
            closure.approve(session, deps, actor, reference, note.strip())
        elif decision == "reject":
            reasons = [closure.ReviewReason(RejectionReason(c), note) for c in codes]
            closure.reject(session, deps, actor, reference, reasons)
        else:
            raise InvalidInput("choose approve or reject", code="decision_required")
        done = "approved" if decision == "approve" else "rejected"
        # An approval that leaves the request under review was the first of two.
        after = request_detail(session, deps, actor, reference).view
        if decision == "approve" and after.status == RequestState.UNDER_REVIEW.value:
            done = "first_approval"
        return acting.view.redirect(f"/console/requests/{after.reference}?done={done}")

    form = {"note": note, "reasons": codes}
    return acting.attempt(change, _refused(acting, reference, form=form))


@router.post("/requests/{reference}/assign")
def assign(
    reference: str, signed: StaffPage, csrf: FormStr = "", reviewer: FormStr = ""
) -> Response:
    """A supervisor hands an escalated review to a named reviewer."""
    acting = signed.acting_through(Channel.CONSOLE)

    def change() -> Response:
        acting.view.check_csrf(csrf)
        closure.assign(acting.session, acting.deps, acting.actor, reference, reviewer)
        after = request_detail(acting.session, acting.deps, acting.actor, reference).view
        return acting.view.redirect(f"/console/requests/{after.reference}?done=assigned")

    def refused(exc: LinecloseError) -> Response:
        return _refused(
            acting, reference, error_field=exc.extra.get("field"), form={"reviewer": reviewer}
        )(exc)

    return acting.attempt(change, refused)
