"""A line in the console: verify the caller, recheck, submit on their behalf, or reset the
service password in a store. What staff did is recorded with the channel they chose and the
identity evidence they checked; the services write history and audit."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import Response

from lineclose.domain.facts import IdentityMethod
from lineclose.errors import InvalidInput, LinecloseError
from lineclose.services import closure, identity, precheck
from lineclose.services.access import Action, allowed, ensure
from lineclose.services.closure import RejectionReason
from lineclose.services.context import Channel
from lineclose.services.identity import IdentityEvidence
from lineclose.services.reads.lines import line_overview
from lineclose.services.views import eligibility_view
from lineclose.web.pages.common import checklist_choices, closure_input
from lineclose.web.pages.console.models import EVIDENCE_METHODS, LinePage, UnpaidBill
from lineclose.web.pages.signin import Signed, StaffPage, StaffReadingPage

router = APIRouter(prefix="/console")
FormStr = Annotated[str, Form()]
STAFF_CHANNELS = {"hotline": Channel.HOTLINE, "store": Channel.STORE}


def evidence(method: str, value: str, document_kind: str = "") -> tuple[IdentityEvidence, ...]:
    """What staff checked; for a document seen in a store, the value is the kind of document."""
    if method not in EVIDENCE_METHODS:
        return ()
    if method == IdentityMethod.ID_DOCUMENT_SEEN.value:
        value = document_kind
    return (IdentityEvidence(IdentityMethod(method), value.strip() or None),)


def line_form(
    channel: str = "hotline",
    method: str = "",
    refund_account: str = "",
    alternate_contact: str = "",
    accept_etf: str = "",
    term_end: str = "",
    ack: list[str] | None = None,
    document_kind: str = "",
) -> dict[str, Any]:
    return {
        "channel": channel if channel in STAFF_CHANNELS else "hotline",
        "method": method,
        "document_kind": document_kind,
        "refund_account": refund_account,
        "alternate_contact": alternate_contact,
        **checklist_choices(accept_etf, term_end, ack),
    }


def line_page(
    signed: Signed,
    line_id: int,
    form: dict[str, Any],
    checked: tuple[IdentityEvidence, ...] = (),
    **shown: Any,
) -> LinePage:
    """The line as staff see it, with the precheck for the choices in the form."""
    line = line_overview(signed.session, signed.deps, signed.actor, line_id)
    requested: date | None = None
    if form.get("term_end") and line.contract is not None and line.contract.in_term:
        requested = line.contract.commitment_end
    result = precheck.precheck(
        signed.session,
        signed.deps,
        signed.actor,
        line.number,
        requested_date=requested,
        accept_etf=bool(form.get("accept_etf")) and requested is None,
        acknowledged_bindings=tuple(form.get("ack", [])),
        identity=checked,
    )
    return LinePage(
        staff=signed.staff,
        line=line.summary,
        currency=line.summary.currency,
        result=eligibility_view(result),
        bindings=line.bindings,
        bills=[UnpaidBill(b.amount_minor, b.due_on) for b in line.unpaid_bills],
        contract=(
            {"commitment_end": line.contract.commitment_end} if line.contract is not None else None
        ),
        form=form,
        reasons=[r.value for r in RejectionReason],
        can_submit=allowed(signed.actor, Action.SUBMIT),
        can_reset_password=allowed(signed.actor, Action.STORE_PASSWORD_RESET),
        **shown,
    )


@router.get("/lines/{line_id}")
def show_line(line_id: int, signed: StaffReadingPage) -> Response:
    return signed.view.render("console/line.html", line_page(signed, line_id, line_form()))


@router.post("/lines/{line_id}")
def line_action(
    line_id: int,
    signed: StaffPage,
    csrf: FormStr = "",
    action: FormStr = "check",
    channel: FormStr = "hotline",
    method: FormStr = "",
    value: FormStr = "",
    document_kind: FormStr = "",
    verification: FormStr = "",
    refund_account: FormStr = "",
    alternate_contact: FormStr = "",
    accept_etf: FormStr = "",
    term_end: FormStr = "",
    ack: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """`check` verifies the caller and reruns the precheck; `submit` files the request for them
    (front-desk roles only, as in the API)."""
    form = line_form(
        channel, method, refund_account, alternate_contact, accept_etf, term_end, ack, document_kind
    )
    acting = signed.acting_through(STAFF_CHANNELS[form["channel"]])
    view = acting.view
    checked = evidence(method, value, document_kind)

    def change() -> Response:
        view.check_csrf(csrf)
        ensure(acting.actor, Action.SUBMIT)
        line = line_overview(acting.session, acting.deps, acting.actor, line_id)
        shown = checked
        if verification.strip() and not value.strip() and method != "id_document_seen":
            shown = ()  # the secret was checked before; the verification stands for it
        given = closure_input(form, refund_account, alternate_contact, shown)
        if verification.strip():
            given = replace(given, caller_verification=verification.strip())
        submitted = closure.submit(acting.session, acting.deps, acting.actor, line.number, given)
        return view.redirect(f"/console/requests/{submitted.request.reference}")

    def refused(exc: LinecloseError) -> Response:
        shown = line_page(
            acting,
            line_id,
            form,
            error=view.error_text(exc),
            error_field=exc.extra.get("field"),
        )
        return view.render("console/line.html", shown, exc.status)

    if action == "submit":
        return acting.attempt(change, refused)

    # A check changes nothing on the line: it shows the precheck with the caller's evidence
    # and remembers on the server what was verified, for the submit that follows.
    def check() -> Response:
        view.check_csrf(csrf)
        shown = line_page(acting, line_id, form, checked)
        verified = shown.result["identity_methods"]
        handle = identity.remember_caller_verification(
            acting.session,
            acting.deps,
            acting.actor,
            line_id,
            frozenset(IdentityMethod(m) for m in verified),
        )
        return view.render(
            "console/line.html", replace(shown, verified=verified, verification=handle)
        )

    return acting.attempt(check, refused)


@router.post("/lines/{line_id}/password-reset")
def store_password_reset(
    line_id: int,
    signed: StaffPage,
    csrf: FormStr = "",
    id_document_seen: FormStr = "",
    document_kind: FormStr = "",
    new_password: FormStr = "",
    new_password_again: FormStr = "",
) -> Response:
    """The store path for a forgotten service password, the only one for a line reported lost:
    the agent records that they looked at the holder's ID document; the holder types the new
    password twice. Passwords are never shown back."""
    acting = signed.acting_through(Channel.STORE)
    view = acting.view
    reset = {"document_seen": id_document_seen == "1", "document_kind": document_kind}

    def change() -> Response:
        view.check_csrf(csrf)
        ensure(acting.actor, Action.STORE_PASSWORD_RESET)
        line = line_overview(acting.session, acting.deps, acting.actor, line_id)
        if new_password != new_password_again:
            raise InvalidInput(
                "the new passwords differ", code="passwords_differ", field="new_password"
            )
        identity.reset_password_in_store(
            acting.session,
            acting.deps,
            acting.actor,
            line.number,
            id_document_seen == "1",
            document_kind,
            new_password,
        )
        notice = view.t("The service password is reset. The holder's sessions are signed out.")
        return view.render(
            "console/line.html", line_page(acting, line_id, line_form(), notice=notice)
        )

    def refused(exc: LinecloseError) -> Response:
        failed = {**reset, "error": view.error_text(exc), "error_field": exc.extra.get("field")}
        shown = line_page(acting, line_id, line_form(), reset=failed)
        return view.render("console/line.html", shown, exc.status)

    return acting.attempt(change, refused)
