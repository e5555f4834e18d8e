"""Dead letters and uncertain notices, and retrying them: reviewers and admins, as in the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from lineclose.errors import LinecloseError
from lineclose.services import operations
from lineclose.services.context import Channel
from lineclose.services.reads.outbox import GIVEN_UP, dead_letters, ensure_can_touch_step
from lineclose.web.pages.console.models import OutboxPage
from lineclose.web.pages.signin import StaffPage, StaffReadingPage

router = APIRouter(prefix="/console")
FormStr = Annotated[str, Form()]


@router.get("/outbox")
def outbox_page(signed: StaffReadingPage, done: str = "") -> Response:
    """Dead and uncertain steps alike: an uncertain notice may have been sent, so retrying it
    is a decision staff take with the recipient."""
    rows = dead_letters(signed.session, signed.actor, GIVEN_UP)
    notice = signed.view.t("The step is queued again.") if done == "retried" else None
    return signed.view.render("console/outbox.html", OutboxPage(signed.staff, rows, notice=notice))


@router.post("/outbox/{row_id}/retry")
def retry(row_id: int, signed: StaffPage, csrf: FormStr = "") -> Response:
    acting = signed.acting_through(Channel.CONSOLE)
    view = acting.view

    def change() -> Response:
        view.check_csrf(csrf)
        ensure_can_touch_step(acting.session, acting.actor, row_id)
        operations.retry_dead_letter(acting.session, acting.deps, acting.actor, row_id)
        return view.redirect("/console/outbox?done=retried")

    def refused(exc: LinecloseError) -> Response:
        rows = dead_letters(acting.session, acting.actor, GIVEN_UP)
        shown = OutboxPage(acting.staff, rows, error=view.error_text(exc))
        return view.render("console/outbox.html", shown, exc.status)

    return acting.attempt(change, refused)
