"""Following a request: its progress, withdrawing it, resubmitting it, its certificate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from lineclose.errors import LinecloseError
from lineclose.services import closure
from lineclose.services.reads.certificates import certificate_by_reference
from lineclose.services.reads.requests import request_detail
from lineclose.web.pages.common import checklist_choices, closure_input
from lineclose.web.pages.portal.checklist import progress_page
from lineclose.web.pages.signin import Signed, SubscriberPage, SubscriberReadingPage

router = APIRouter(prefix="/portal")
FormStr = Annotated[str, Form()]
AckList = Annotated[list[str] | None, Form()]


@router.get("/requests/{reference}")
def progress(reference: str, signed: SubscriberReadingPage) -> Response:
    shown = progress_page(signed.session, signed.deps, signed.actor, reference)
    return signed.view.render("portal/request.html", shown)


def _act(
    signed: Signed, reference: str, csrf: str, form: dict[str, str], apply: Callable[[], object]
) -> Response:
    """Change the request, then show its progress; a refusal shows it with the reason."""

    def change() -> Response:
        signed.view.check_csrf(csrf)
        shown = request_detail(signed.session, signed.deps, signed.actor, reference)
        apply()
        return signed.view.redirect(f"/portal/requests/{shown.view.reference}")

    def refused(exc: LinecloseError) -> Response:
        shown = progress_page(
            signed.session,
            signed.deps,
            signed.actor,
            reference,
            form=form,
            error=signed.view.error_text(exc),
        )
        return signed.view.render("portal/request.html", shown, exc.status)

    return signed.attempt(change, refused)


@router.post("/requests/{reference}/withdraw")
def withdraw(reference: str, signed: SubscriberPage, csrf: FormStr = "") -> Response:
    return _act(
        signed,
        reference,
        csrf,
        {},
        lambda: closure.withdraw(
            signed.session, signed.deps, signed.actor, reference, "withdrawn in the portal"
        ),
    )


@router.post("/requests/{reference}/resubmit")
def resubmit(
    reference: str,
    signed: SubscriberPage,
    csrf: FormStr = "",
    refund_account: FormStr = "",
    alternate_contact: FormStr = "",
    accept_etf: FormStr = "",
    term_end: FormStr = "",
    ack: AckList = None,
) -> Response:
    """The same choices as a first submission (closing at the end of the term included); a
    closure date chosen before and still ahead is carried over."""
    choices = checklist_choices(accept_etf, term_end, ack)
    form = {"refund_account": refund_account, "alternate_contact": alternate_contact}

    def apply() -> object:
        given = closure_input(choices, refund_account, alternate_contact)
        if not given.schedule_at_term_end:
            given = replace(given, requested_date=_kept_date(signed, reference))
        return closure.resubmit(signed.session, signed.deps, signed.actor, reference, given)

    return _act(signed, reference, csrf, form, apply)


def _kept_date(signed: Signed, reference: str) -> date | None:
    detail = request_detail(signed.session, signed.deps, signed.actor, reference)
    chosen = detail.view.requested_date
    if chosen is None:
        return None
    kept = date.fromisoformat(chosen)
    return kept if kept >= date.fromisoformat(detail.today) else None


@router.get("/requests/{reference}/certificate.pdf")
def certificate(reference: str, signed: SubscriberReadingPage) -> Response:
    document = certificate_by_reference(signed.session, signed.deps, signed.actor, reference)
    return Response(
        document.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{document.filename}"'},
    )
