"""The holder's lines and the checklist: fix what blocks a closure, then submit it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from lineclose.errors import LinecloseError, NotFound
from lineclose.services import closure, ledger
from lineclose.services.reads.lines import line_overview, my_lines
from lineclose.web.pages.common import checklist_choices, closure_input
from lineclose.web.pages.portal.checklist import checklist_page, choice_query, query_choices
from lineclose.web.pages.portal.models import Choices, LinesPage
from lineclose.web.pages.signin import Signed, SubscriberPage, SubscriberReadingPage

router = APIRouter(prefix="/portal")
FormStr = Annotated[str, Form()]
AckList = Annotated[list[str] | None, Form()]
EMPTY_FORM = {"refund_account": "", "alternate_contact": ""}


@router.get("/lines")
def lines(signed: SubscriberReadingPage) -> Response:
    return signed.view.render(
        "portal/lines.html", LinesPage(my_lines(signed.session, signed.actor))
    )


@router.get("/lines/{line_id}")
def checklist(line_id: int, request: Request, signed: SubscriberReadingPage) -> Response:
    shown = checklist_page(
        signed.session, signed.deps, signed.actor, line_id, query_choices(request)
    )
    return signed.view.render("portal/line.html", shown)


def _refused(
    signed: Signed, line_id: int, choices: Choices, form: dict[str, object]
) -> Callable[[LinecloseError], Response]:
    """The checklist again with the reason for the refusal and what the holder chose."""

    def render(exc: LinecloseError) -> Response:
        shown = checklist_page(
            signed.session,
            signed.deps,
            signed.actor,
            line_id,
            choices,
            form=form,
            error=signed.view.error_text(exc),
            error_field=exc.extra.get("field"),
        )
        return signed.view.render("portal/line.html", shown, exc.status)

    return render


def _fix(
    signed: Signed, line_id: int, csrf: str, choices: Choices, apply: Callable[[str], None]
) -> Response:
    """Apply one fix from the checklist, then come back to the checklist with the same choices."""

    def change() -> Response:
        signed.view.check_csrf(csrf)
        apply(line_overview(signed.session, signed.deps, signed.actor, line_id).number)
        return signed.view.redirect(f"/portal/lines/{line_id}{choice_query(choices)}#checklist")

    return signed.attempt(change, _refused(signed, line_id, choices, dict(EMPTY_FORM)))


@router.post("/lines/{line_id}/bills/{bill_id}/pay")
def pay_bill(
    line_id: int,
    bill_id: int,
    signed: SubscriberPage,
    reference: FormStr = "",
    csrf: FormStr = "",
    accept_etf: FormStr = "",
    term_end: FormStr = "",
    ack: AckList = None,
) -> Response:
    def pay(msisdn: str) -> None:
        line = line_overview(signed.session, signed.deps, signed.actor, line_id)
        bill = next((b for b in line.bills if b.id == bill_id), None)
        if bill is None:
            raise NotFound("no such bill on this line", code="unknown_bill")
        ledger.pay_bill(
            signed.session, signed.deps, signed.actor, msisdn, bill_id, bill.amount_minor, reference
        )

    return _fix(signed, line_id, csrf, checklist_choices(accept_etf, term_end, ack), pay)


@router.post("/lines/{line_id}/bindings/{binding_id}/unbind")
def unbind(
    line_id: int,
    binding_id: int,
    signed: SubscriberPage,
    csrf: FormStr = "",
    accept_etf: FormStr = "",
    term_end: FormStr = "",
    ack: AckList = None,
) -> Response:
    def unbind_one(msisdn: str) -> None:
        ledger.unbind(signed.session, signed.deps, signed.actor, msisdn, binding_id)

    return _fix(signed, line_id, csrf, checklist_choices(accept_etf, term_end, ack), unbind_one)


@router.post("/lines/{line_id}/submit")
def submit(
    line_id: int,
    signed: SubscriberPage,
    csrf: FormStr = "",
    refund_account: FormStr = "",
    alternate_contact: FormStr = "",
    accept_etf: FormStr = "",
    term_end: FormStr = "",
    ack: AckList = None,
    confirm: FormStr = "",
) -> Response:
    choices = checklist_choices(accept_etf, term_end, ack)
    form: dict[str, object] = {
        "refund_account": refund_account,
        "alternate_contact": alternate_contact,
        "confirm": confirm == "1",
    }

    def change() -> Response:
        signed.view.check_csrf(csrf)
        line = line_overview(signed.session, signed.deps, signed.actor, line_id)
        if confirm != "1":
            raise LinecloseError("confirm", code="confirm_required")
        submitted = closure.submit(
            signed.session,
            signed.deps,
            signed.actor,
            line.number,
            closure_input(choices, refund_account, alternate_contact),
            idempotency_key=None,
        )
        return signed.view.redirect(f"/portal/requests/{submitted.request.reference}")

    return signed.attempt(change, _refused(signed, line_id, choices, form))
