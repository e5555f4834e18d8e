"""The review queue and the escalations, from the same reads as the API's."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from lineclose.services.reads.requests import escalations as read_escalations
from lineclose.services.reads.requests import review_queue
from lineclose.web.pages.console.models import QueuePage
from lineclose.web.pages.signin import StaffReadingPage

router = APIRouter(prefix="/console")


@router.get("/queue")
def queue(signed: StaffReadingPage, overdue: str = "") -> Response:
    """Requests under review, the earliest due date first; overdue ones are marked."""
    items = review_queue(signed.session, signed.deps, signed.actor, overdue=overdue == "1")
    shown = QueuePage(signed.staff, items, only_overdue=overdue == "1", title="Review queue")
    return signed.view.render("console/queue.html", shown)


@router.get("/escalations")
def escalations(signed: StaffReadingPage) -> Response:
    items = read_escalations(signed.session, signed.deps, signed.actor)
    shown = QueuePage(signed.staff, items, only_overdue=False, title="Escalations")
    return signed.view.render("console/queue.html", shown)
