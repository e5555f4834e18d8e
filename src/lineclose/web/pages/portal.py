"""The self-service portal: sign in with a code, see the checklist, fix blockers, submit, follow.

Rules:
- Pages never show a number, account or contact in clear; lines are addressed by their id in
  URLs so that phone numbers stay out of access logs.
- Each POST checks the CSRF token, owns its transaction, and on a refusal re-renders the form
  with the reason and what the subscriber typed.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.domain.identifiers import mask_msisdn
from lineclose.domain.states import RequestState
from lineclose.errors import InvalidInput, LinecloseError, NotFound, Unauthenticated
from lineclose.services import closure, identity, ledger, precheck, ratelimits
from lineclose.services.certificates import certificate_pdf, find_certificate
from lineclose.services.context import Actor, Channel, Deps
from lineclose.services.lines import ensure_can_see_line, local_today, profile_of
from lineclose.services.views import eligibility_view
from lineclose.web.api.deps import DepsDep, SessionDep
from lineclose.web.api.request_view import request_view
from lineclose.web.pages.common import (
    CHALLENGE_COOKIE,
    RESET_COOKIE,
    SUBSCRIBER_COOKIE,
    Page,
    checklist_choices,
    closure_input,
    count_client_call,
    page,
)
from lineclose.web.pages.views import progress_steps, rejection_items

router = APIRouter(prefix="/portal", include_in_schema=False)

FormStr = Annotated[str, Form()]
OptStr = Annotated[str, Form()]


def _subscriber(session: Session, deps: Deps, request: Request) -> tuple[Actor, str]:
    token = request.cookies.get(SUBSCRIBER_COOKIE, "")
    if not token:
        raise Unauthenticated("sign in with a code")
    actor = identity.actor_from_token(session, deps, token, Channel.ONLINE)
    if actor.subscriber_id is None:
        raise Unauthenticated("sign in with a code")
    return actor, token


def _own_line(session: Session, actor: Actor, line_id: int) -> models.Line:
    line = session.get(models.Line, line_id)
    if line is None:
        raise NotFound("no such line", code="unknown_line")
    ensure_can_see_line(actor, line)
    return line


def _signed_in_page(
    session: Session, deps: Deps, request: Request
) -> tuple[Actor, Page] | Response:
    try:
        actor, token = _subscriber(session, deps, request)
    except Unauthenticated:
        signed_out = page(request)
        signed_out.set_cookie(SUBSCRIBER_COOKIE, "")
        return signed_out.redirect("/portal")
    locale = None
    if actor.verified_line_id is not None:
        line = session.get(models.Line, actor.verified_line_id)
        locale = profile_of(line.operator).locale if line else None
    return actor, page(request, locale, token)


# --------------------------------------------------------------------------- sign in


def _demo(deps: Deps) -> bool:
    """In the demo no SMS leaves the machine: codes are printed where `make demo` runs."""
    return deps.settings.sms_backend == "console"


@router.get("")
def sign_in_form(request: Request, session: SessionDep, deps: DepsDep, done: str = "") -> Response:
    if request.cookies.get(SUBSCRIBER_COOKIE):
        try:
            _subscriber(session, deps, request)
            return page(request).redirect("/portal/lines")
        except Unauthenticated:
            pass
    view = page(request)
    notice = (
        view.t("Your service password is changed. Sign in again where you need to.")
        if done == "password"
        else None
    )
    return view.render(
        "portal/sign_in.html",
        {"msisdn": "", "error": None, "notice": notice, "demo": _demo(deps)},
    )


@router.post("/sign-in")
def start_sign_in(
    request: Request,
    session: SessionDep,
    deps: DepsDep,
    msisdn: FormStr = "",
    csrf: FormStr = "",
) -> Response:
    view = page(request)
    try:
        view.check_csrf(csrf)
        count_client_call(session, deps, request, ratelimits.sign_in_per_client(deps))
        started = identity.start_otp(session, deps, msisdn)
        session.commit()
    except LinecloseError as exc:
        session.rollback()
        return view.render(
            "portal/sign_in.html",
            {"msisdn": msisdn, "error": view.error_text(exc), "demo": _demo(deps)},
            exc.status,
        )
    view.set_cookie(CHALLENGE_COOKIE, f"{started.challenge_id}|{started.sent_to}", 600)
    return view.redirect("/portal/code")


@router.get("/code")
def code_form(request: Request, deps: DepsDep) -> Response:
    view = page(request)
    challenge = request.cookies.get(CHALLENGE_COOKIE, "")
    if not challenge:
        return view.redirect("/portal")
    return view.render(
        "portal/code.html",
        {"sent_to": challenge.partition("|")[2], "error": None, "demo": _demo(deps)},
    )


@router.post("/code")
def verify_code(
    request: Request,
    session: SessionDep,
    deps: DepsDep,
    code: FormStr = "",
    csrf: FormStr = "",
) -> Response:
    view = page(request)
    challenge_id, _, sent_to = request.cookies.get(CHALLENGE_COOKIE, "").partition("|")
    if not challenge_id:
        return view.redirect("/portal")
    try:
        view.check_csrf(csrf)
        count_client_call(session, deps, request, ratelimits.sign_in_per_client(deps))
        outcome = identity.verify_otp(session, deps, challenge_id, code)
        session.commit()  # a wrong code still spends an attempt
        if outcome.error is not None:
            raise outcome.error
    except LinecloseError as exc:
        session.rollback()
        return view.render(
            "portal/code.html",
            {"sent_to": sent_to, "error": view.error_text(exc), "code": code, "demo": _demo(deps)},
            exc.status,
        )
    assert outcome.token is not None
    view.set_cookie(CHALLENGE_COOKIE, "")
    view.set_cookie(SUBSCRIBER_COOKIE, outcome.token, deps.settings.session_ttl_seconds)
    return view.redirect("/portal/lines")


@router.post("/sign-out")
def sign_out(request: Request, session: SessionDep, deps: DepsDep, csrf: FormStr = "") -> Response:
    """Sign-out revokes the session on the server, so a copied cookie stops working too."""
    token = request.cookies.get(SUBSCRIBER_COOKIE, "")
    view = page(request, session_token=token)
    try:
        view.check_csrf(csrf)
    except LinecloseError:
        return view.redirect("/portal/lines")
    if token:
        identity.sign_out(session, deps, token)
        session.commit()
    view.set_cookie(SUBSCRIBER_COOKIE, "")
    return view.redirect("/portal")


# --------------------------------------------------------------------------- service password


def _reset_allows_last_six(session: Session, challenge_id: str) -> bool:
    """Whether the line's profile accepts the last six characters of the ID number."""
    line = session.execute(
        select(models.Line)
        .join(models.OtpChallenge, models.OtpChallenge.line_id == models.Line.id)
        .where(models.OtpChallenge.public_id == challenge_id)
    ).scalar_one_or_none()
    return line is not None and profile_of(line.operator).id_last_six_allowed


@router.get("/password")
def forgotten_password(request: Request, deps: DepsDep) -> Response:
    return page(request).render(
        "portal/password.html", {"msisdn": "", "error": None, "demo": _demo(deps)}
    )


@router.post("/password")
def start_password_reset(
    request: Request,
    session: SessionDep,
    deps: DepsDep,
    msisdn: FormStr = "",
    csrf: FormStr = "",
) -> Response:
    """Send a reset code to the line; a line reported lost is refused and sent to a store."""
    view = page(request)
    try:
        view.check_csrf(csrf)
        count_client_call(session, deps, request, ratelimits.sign_in_per_client(deps))
        started = identity.start_otp(session, deps, msisdn, identity.PASSWORD_RESET)
        session.commit()
    except LinecloseError as exc:
        session.rollback()
        return view.render(
            "portal/password.html",
            {"msisdn": msisdn, "error": view.error_text(exc), "demo": _demo(deps)},
            exc.status,
        )
    view.set_cookie(RESET_COOKIE, f"{started.challenge_id}|{started.sent_to}", 600)
    return view.redirect("/portal/password/new")


RESET_ERROR_FIELDS = {
    "code_invalid": "code",
    "code_expired": "code",
    "too_many_attempts": "code",
    "identity_check_failed": "id_number",
}


def _reset_form(session: Session, deps: Deps, challenge: str, **extra: Any) -> dict[str, Any]:
    challenge_id, _, sent_to = challenge.partition("|")
    return {
        "sent_to": sent_to,
        "last_six": _reset_allows_last_six(session, challenge_id),
        "code": "",
        "error": None,
        "demo": _demo(deps),
        **extra,
    }


@router.get("/password/new")
def reset_form(request: Request, session: SessionDep, deps: DepsDep) -> Response:
    view = page(request)
    challenge = request.cookies.get(RESET_COOKIE, "")
    if not challenge:
        return view.redirect("/portal/password")
    return view.render("portal/password_new.html", _reset_form(session, deps, challenge))


@router.post("/password/new")
def reset_password(
    request: Request,
    session: SessionDep,
    deps: DepsDep,
    code: FormStr = "",
    id_number: FormStr = "",
    new_password: FormStr = "",
    new_password_again: FormStr = "",
    csrf: FormStr = "",
) -> Response:
    """The code to the line plus the holder's ID number sets a new service password and signs
    out every session of the holder. A wrong ID number uses up the code."""
    view = page(request)
    challenge = request.cookies.get(RESET_COOKIE, "")
    if not challenge:
        return view.redirect("/portal/password")
    try:
        view.check_csrf(csrf)
        if new_password != new_password_again:
            raise InvalidInput(
                "the new passwords differ", code="passwords_differ", field="new_password"
            )
        count_client_call(session, deps, request, ratelimits.sign_in_per_client(deps))
        refused = identity.reset_password_with_code(
            session, deps, challenge.partition("|")[0], code, id_number, new_password
        )
        session.commit()  # a wrong code or ID number still counts against the line
        if refused is not None:
            raise refused
    except LinecloseError as exc:
        session.rollback()
        # The code is used up once it matched, even when the ID number then did not.
        spent = exc.code in ("identity_check_failed", "code_expired", "too_many_attempts")
        return view.render(
            "portal/password_new.html",
            _reset_form(
                session,
                deps,
                challenge,
                code="" if spent else code,
                error=view.error_text(exc),
                error_field=exc.extra.get("field") or RESET_ERROR_FIELDS.get(exc.code),
                code_spent=spent,
            ),
            exc.status,
        )
    view.set_cookie(RESET_COOKIE, "")
    view.set_cookie(SUBSCRIBER_COOKIE, "")
    return view.redirect("/portal?done=password")


def _has_password(session: Session, actor: Actor) -> bool:
    subscriber = session.get(models.Subscriber, actor.subscriber_id)
    return subscriber is not None and bool(subscriber.service_password_hash)


@router.get("/service-password")
def service_password_form(
    request: Request, session: SessionDep, deps: DepsDep, done: str = ""
) -> Response:
    signed = _signed_in_page(session, deps, request)
    if isinstance(signed, Response):
        return signed
    actor, view = signed
    return view.render(
        "portal/service_password.html",
        {
            "has_password": _has_password(session, actor),
            "error": None,
            "notice": view.t("Your service password is saved.") if done == "1" else None,
        },
    )


@router.post("/service-password")
def set_service_password(
    request: Request,
    session: SessionDep,
    deps: DepsDep,
    current_password: FormStr = "",
    new_password: FormStr = "",
    new_password_again: FormStr = "",
    csrf: FormStr = "",
) -> Response:
    """Set a first service password, or change it by giving the current one."""
    signed = _signed_in_page(session, deps, request)
    if isinstance(signed, Response):
        return signed
    actor, view = signed
    try:
        view.check_csrf(csrf)
        if new_password != new_password_again:
            raise InvalidInput(
                "the new passwords differ", code="passwords_differ", field="new_password"
            )
        identity.set_service_password(session, deps, actor, current_password or None, new_password)
        session.commit()
    except LinecloseError as exc:
        session.rollback()
        field = exc.extra.get("field")
        if exc.code == "identity_check_failed":
            field = "current_password"
        return view.render(
            "portal/service_password.html",
            {
                "has_password": _has_password(session, actor),
                "error": view.error_text(exc),
                "error_field": field,
            },
            exc.status,
        )
    return view.redirect("/portal/service-password?done=1")


# --------------------------------------------------------------------------- my lines


@router.get("/lines")
def my_lines(request: Request, session: SessionDep, deps: DepsDep) -> Response:
    signed = _signed_in_page(session, deps, request)
    if isinstance(signed, Response):
        return signed
    actor, view = signed
    lines = session.execute(
        select(models.Line)
        .where(models.Line.subscriber_id == actor.subscriber_id)
        .order_by(models.Line.id)
    ).scalars()
    items = []
    for line in lines:
        latest = session.execute(
            select(models.ClosureRequest)
            .where(models.ClosureRequest.line_id == line.id)
            .order_by(models.ClosureRequest.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        items.append(
            {
                "id": line.id,
                "msisdn": mask_msisdn(line.msisdn),
                "kind": line.kind,
                "payment": line.payment,
                "status": line.status,
                "operator": line.operator.name,
                "request": (
                    {"reference": latest.reference, "status": latest.status} if latest else None
                ),
            }
        )
    return view.render("portal/lines.html", {"lines": items})


# --------------------------------------------------------------------------- the checklist


def _choices(request: Request) -> dict[str, Any]:
    params = request.query_params
    ack: list[int] = []
    for raw in params.getlist("ack"):
        if raw.isdigit():
            ack.append(int(raw))
    plan = params.get("plan")
    return {
        "accept_etf": params.get("accept_etf") == "1" or plan == "etf",
        "term_end": params.get("term_end") == "1" or plan == "term_end",
        "ack": sorted(set(ack)),
    }


def checklist_context(
    session: Session,
    deps: Deps,
    actor: Actor,
    line: models.Line,
    choices: dict[str, Any],
) -> dict[str, Any]:
    """Everything the checklist shows: each item with its state, the bound services, the quote."""
    profile = profile_of(line.operator)
    today = local_today(profile, deps.clock.now())
    contract = session.execute(
        select(models.Contract).where(models.Contract.line_id == line.id)
    ).scalar_one_or_none()
    in_term = contract is not None and contract.commitment_end > today
    requested: date | None = None
    if choices["term_end"] and contract is not None and in_term:
        requested = contract.commitment_end
    result = precheck.precheck(
        session,
        deps,
        actor,
        line.msisdn,
        requested_date=requested,
        accept_etf=choices["accept_etf"] and not choices["term_end"],
        acknowledged_bindings=tuple(choices["ack"]),
    )
    bills = session.execute(
        select(models.Bill)
        .where(models.Bill.line_id == line.id, models.Bill.paid_at.is_(None))
        .order_by(models.Bill.due_on)
    ).scalars()
    bindings = session.execute(
        select(models.Binding).where(models.Binding.line_id == line.id).order_by(models.Binding.id)
    ).scalars()
    open_request = session.execute(
        select(models.ClosureRequest.reference).where(
            models.ClosureRequest.line_id == line.id,
            models.ClosureRequest.status.notin_(
                [RequestState.CLOSED.value, RequestState.WITHDRAWN.value]
            ),
        )
    ).scalar_one_or_none()
    view = eligibility_view(result)
    etf_minor = 0
    for blocker in view["blockers"]:
        if blocker["code"] == "COMMITMENT_ACTIVE":
            etf_minor = blocker["remedies"][0].get("amount_minor", 0)
    if choices["accept_etf"]:
        etf_minor = view["quote"]["early_termination_fee_minor"]
    return {
        "line": {
            "id": line.id,
            "msisdn": mask_msisdn(line.msisdn),
            "kind": line.kind,
            "payment": line.payment,
            "status": line.status,
            "operator": line.operator.name,
            "currency": line.currency,
        },
        "result": view,
        "blocker_codes": [b["code"] for b in view["blockers"]],
        "other_blockers": [
            b
            for b in view["blockers"]
            if b["code"] not in ("ARREARS", "COMMITMENT_ACTIVE", "BINDINGS_PRESENT")
        ],
        "bills": [
            {
                "id": b.id,
                "amount_minor": b.amount_minor,
                "due_on": b.due_on,
                "reference": f"portal-{secrets.token_hex(8)}",
            }
            for b in bills
        ],
        "bindings": [
            {
                "id": b.id,
                "service": b.service,
                "category": b.category,
                "unbound_on": b.unbound_on,
                "acknowledged": b.id in choices["ack"],
            }
            for b in bindings
        ],
        "contract": (
            {"commitment_end": contract.commitment_end, "in_term": in_term, "etf_minor": etf_minor}
            if contract
            else None
        ),
        "choices": choices,
        "open_request": open_request,
        "currency": line.currency,
    }


def _choice_query(choices: dict[str, Any]) -> str:
    parts = []
    if choices.get("accept_etf"):
        parts.append("accept_etf=1")
    if choices.get("term_end"):
        parts.append("term_end=1")
    parts.extend(f"ack={i}" for i in choices.get("ack", []))
    return ("?" + "&".join(parts)) if parts else ""


@router.get("/lines/{line_id}")
def checklist(line_id: int, request: Request, session: SessionDep, deps: DepsDep) -> Response:
    signed = _signed_in_page(session, deps, request)
    if isinstance(signed, Response):
        return signed
    actor, view = signed
    try:
        line = _own_line(session, actor, line_id)
        context = checklist_context(session, deps, actor, line, _choices(request))
    except LinecloseError as exc:
        return view.render("error.html", {"message": view.error_text(exc)}, exc.status)
    return view.render(
        "portal/line.html",
        {**context, "form": {"refund_account": "", "alternate_contact": ""}, "error": None},
    )


@router.post("/lines/{line_id}/bills/{bill_id}/pay")
def pay_bill(
    line_id: int,
    bill_id: int,
    request: Request,
    session: SessionDep,
    deps: DepsDep,
    reference: FormStr = "",
    csrf: FormStr = "",
    accept_etf: OptStr = "",
    term_end: OptStr = "",
    ack: Annotated[list[str] | None, Form()] = None,
) -> Response:
    return _fix(
        request,
        session,
        deps,
        line_id,
        csrf,
        checklist_choices(accept_etf, term_end, ack),
        lambda actor, line: _pay(session, deps, actor, line, bill_id, reference),
    )


def _pay(
    session: Session, deps: Deps, actor: Actor, line: models.Line, bill_id: int, reference: str
) -> None:
    bill = session.get(models.Bill, bill_id)
    if bill is None or bill.line_id != line.id:
        raise NotFound("no such bill on this line", code="unknown_bill")
    ledger.pay_bill(session, deps, actor, line.msisdn, bill_id, bill.amount_minor, reference)


@router.post("/lines/{line_id}/bindings/{binding_id}/unbind")
def unbind(
    line_id: int,
    binding_id: int,
    request: Request,
    session: SessionDep,
    deps: DepsDep,
    csrf: FormStr = "",
    accept_etf: OptStr = "",
    term_end: OptStr = "",
    ack: Annotated[list[str] | None, Form()] = None,
) -> Response:
    return _fix(
        request,
        session,
        deps,
        line_id,
        csrf,
        checklist_choices(accept_etf, term_end, ack),
        lambda actor, line: ledger.unbind(session, deps, actor, line.msisdn, binding_id),
    )


def _fix(
    request: Request,
    session: Session,
    deps: Deps,
    line_id: int,
    csrf: str,
    choices: dict[str, Any],
    action: Any,
) -> Response:
    """Apply one fix from the checklist, then come back to the checklist with the same choices."""
    signed = _signed_in_page(session, deps, request)
    if isinstance(signed, Response):
        return signed
    actor, view = signed
    try:
        view.check_csrf(csrf)
        line = _own_line(session, actor, line_id)
        action(actor, line)
        session.commit()
    except LinecloseError as exc:
        session.rollback()
        return _checklist_refused(
            session,
            deps,
            actor,
            view,
            line_id,
            choices,
            {"refund_account": "", "alternate_contact": ""},
            exc,
        )
    return view.redirect(f"/portal/lines/{line_id}{_choice_query(choices)}#checklist")


def _checklist_refused(
    session: Session,
    deps: Deps,
    actor: Actor,
    view: Page,
    line_id: int,
    choices: dict[str, Any],
    form: dict[str, Any],
    exc: LinecloseError,
    **extra: Any,
) -> Response:
    """The checklist again with the reason for the refusal and what the subscriber chose."""
    try:
        line = _own_line(session, actor, line_id)
        context = checklist_context(session, deps, actor, line, choices)
    except LinecloseError:
        return view.render("error.html", {"message": view.error_text(exc)}, exc.status)
    return view.render(
        "portal/line.html",
        {**context, "form": form, "error": view.error_text(exc), **extra},
        exc.status,
    )


@router.post("/lines/{line_id}/submit")
def submit(
    line_id: int,
    request: Request,
    session: SessionDep,
    deps: DepsDep,
    csrf: FormStr = "",
    refund_account: OptStr = "",
    alternate_contact: OptStr = "",
    accept_etf: OptStr = "",
    term_end: OptStr = "",
    ack: Annotated[list[str] | None, Form()] = None,
    confirm: OptStr = "",
) -> Response:
    signed = _signed_in_page(session, deps, request)
    if isinstance(signed, Response):
        return signed
    actor, view = signed
    choices = checklist_choices(accept_etf, term_end, ack)
    form = {
        "refund_account": refund_account,
        "alternate_contact": alternate_contact,
        "confirm": confirm == "1",
    }
    try:
        view.check_csrf(csrf)
        line = _own_line(session, actor, line_id)
        if confirm != "1":
            raise LinecloseError("confirm", code="confirm_required")
        submitted = closure.submit(
            session,
            deps,
            actor,
            line.msisdn,
            closure_input(choices, refund_account, alternate_contact),
            idempotency_key=None,
        )
        session.commit()
    except LinecloseError as exc:
        session.rollback()
        return _checklist_refused(
            session,
            deps,
            actor,
            view,
            line_id,
            choices,
            form,
            exc,
            error_field=exc.extra.get("field"),
        )
    return view.redirect(f"/portal/requests/{submitted.request.reference}")


# --------------------------------------------------------------------------- progress


def _own_request(session: Session, actor: Actor, reference: str) -> models.ClosureRequest:
    found = closure.get_request(session, reference)
    closure.ensure_can_act(actor, found)
    return found


def progress_context(
    session: Session, deps: Deps, request_row: models.ClosureRequest
) -> dict[str, Any]:
    profile = profile_of(request_row.operator)
    today = local_today(profile, deps.clock.now())
    shown = request_view(session, request_row, today)
    return {
        "req": shown,
        "line_id": request_row.line_id,
        "currency": request_row.line.currency,
        "timezone": profile.timezone,
        "steps": progress_steps(shown),
        "rejection": rejection_items(shown),
        "req_ack": request_row.acknowledged_bindings or [],
        "has_contract_blocker": any(
            b.get("code") == "COMMITMENT_ACTIVE" for b in shown["blockers"] or []
        ),
    }


@router.get("/requests/{reference}")
def progress(reference: str, request: Request, session: SessionDep, deps: DepsDep) -> Response:
    signed = _signed_in_page(session, deps, request)
    if isinstance(signed, Response):
        return signed
    actor, view = signed
    try:
        found = _own_request(session, actor, reference)
    except LinecloseError as exc:
        return view.render("error.html", {"message": view.error_text(exc)}, exc.status)
    return view.render(
        "portal/request.html",
        {**progress_context(session, deps, found), "error": None, "form": {}},
    )


@router.post("/requests/{reference}/withdraw")
def withdraw(
    reference: str,
    request: Request,
    session: SessionDep,
    deps: DepsDep,
    csrf: FormStr = "",
) -> Response:
    return _request_action(
        request,
        session,
        deps,
        reference,
        csrf,
        {},
        lambda actor: closure.withdraw(session, deps, actor, reference, "withdrawn in the portal"),
    )


@router.post("/requests/{reference}/resubmit")
def resubmit(
    reference: str,
    request: Request,
    session: SessionDep,
    deps: DepsDep,
    csrf: FormStr = "",
    refund_account: OptStr = "",
    alternate_contact: OptStr = "",
    accept_etf: OptStr = "",
    term_end: OptStr = "",
    ack: Annotated[list[str] | None, Form()] = None,
) -> Response:
    choices = checklist_choices(accept_etf, term_end, ack)
    form = {"refund_account": refund_account, "alternate_contact": alternate_contact}
    # A resubmission replaces the choices, so the closure date chosen before is carried over.
    kept_date: date | None = None
    existing = session.execute(
        select(models.ClosureRequest).where(
            models.ClosureRequest.reference == reference.strip().upper()
        )
    ).scalar_one_or_none()
    if existing is not None and existing.requested_date is not None:
        today = local_today(profile_of(existing.operator), deps.clock.now())
        kept_date = existing.requested_date if existing.requested_date >= today else None
    return _request_action(
        request,
        session,
        deps,
        reference,
        csrf,
        form,
        lambda actor: closure.resubmit(
            session,
            deps,
            actor,
            reference,
            closure.ClosureInput(
                refund_account=refund_account.strip() or None,
                alternate_contact=alternate_contact.strip() or None,
                acknowledged_bindings=tuple(choices["ack"]),
                accept_etf=choices["accept_etf"],
                requested_date=kept_date,
            ),
        ),
    )


def _request_action(
    request: Request,
    session: Session,
    deps: Deps,
    reference: str,
    csrf: str,
    form: dict[str, str],
    action: Any,
) -> Response:
    signed = _signed_in_page(session, deps, request)
    if isinstance(signed, Response):
        return signed
    actor, view = signed
    try:
        view.check_csrf(csrf)
        found = _own_request(session, actor, reference)
        action(actor)
        session.commit()
    except LinecloseError as exc:
        session.rollback()
        try:
            found = _own_request(session, actor, reference)
        except LinecloseError:
            return view.render("error.html", {"message": view.error_text(exc)}, exc.status)
        return view.render(
            "portal/request.html",
            {**progress_context(session, deps, found), "error": view.error_text(exc), "form": form},
            exc.status,
        )
    return view.redirect(f"/portal/requests/{found.reference}")


@router.get("/requests/{reference}/certificate.pdf")
def certificate(reference: str, request: Request, session: SessionDep, deps: DepsDep) -> Response:
    signed = _signed_in_page(session, deps, request)
    if isinstance(signed, Response):
        return signed
    actor, view = signed
    try:
        found = _own_request(session, actor, reference)
        code = session.execute(
            select(models.Certificate.code).where(models.Certificate.request_id == found.id)
        ).scalar_one_or_none()
        if code is None:
            raise NotFound("no certificate yet", code="unknown_certificate")
        issued = find_certificate(session, code)
    except LinecloseError as exc:
        return view.render("error.html", {"message": view.error_text(exc)}, exc.status)
    url = f"{deps.settings.public_base_url}/verify/{issued.code}"
    return Response(
        certificate_pdf(issued, url),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{found.reference}.pdf"'},
    )
