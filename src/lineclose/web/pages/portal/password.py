"""The service password: resetting a forgotten one with a code and the ID number, and setting
or changing it while signed in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from lineclose.errors import InvalidInput, LinecloseError
from lineclose.services import identity
from lineclose.services import limiter as ratelimits
from lineclose.services.context import Deps
from lineclose.services.reads.identity import has_service_password, reset_allows_last_six
from lineclose.services.unit_of_work import Session
from lineclose.web.api.deps import DepsDep, SessionDep
from lineclose.web.pages.common import RESET_COOKIE, SUBSCRIBER_COOKIE, count_client_call, page
from lineclose.web.pages.portal.models import ResetPage, ServicePasswordPage, SignInPage
from lineclose.web.pages.portal.sign_in import demo
from lineclose.web.pages.signin import SubscriberPage

router = APIRouter(prefix="/portal")
FormStr = Annotated[str, Form()]

RESET_ERROR_FIELDS = {
    "code_invalid": "code",
    "code_expired": "code",
    "too_many_attempts": "code",
    "identity_check_failed": "id_number",
}


def _same(new_password: str, again: str) -> None:
    if new_password != again:
        raise InvalidInput(
            "the new passwords differ", code="passwords_differ", field="new_password"
        )


@router.get("/password")
def forgotten_password(request: Request, deps: DepsDep) -> Response:
    return page(request).render("portal/password.html", SignInPage(demo=demo(deps)))


@router.post("/password")
def start_password_reset(
    request: Request, session: SessionDep, deps: DepsDep, msisdn: FormStr = "", csrf: FormStr = ""
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
        shown = SignInPage(msisdn=msisdn, error=view.error_text(exc), demo=demo(deps))
        return view.render("portal/password.html", shown, exc.status)
    view.set_cookie(RESET_COOKIE, f"{started.challenge_id}|{started.sent_to}", 600)
    return view.redirect("/portal/password/new")


def _reset_page(
    session: Session,
    deps: Deps,
    challenge: str,
    code: str = "",
    error: str | None = None,
    error_field: str | None = None,
    code_spent: bool = False,
) -> ResetPage:
    challenge_id, _, sent_to = challenge.partition("|")
    return ResetPage(
        sent_to=sent_to,
        last_six=reset_allows_last_six(session, challenge_id),
        code=code,
        error=error,
        error_field=error_field,
        code_spent=code_spent,
        demo=demo(deps),
    )


@router.get("/password/new")
def reset_form(request: Request, session: SessionDep, deps: DepsDep) -> Response:
    view = page(request)
    challenge = request.cookies.get(RESET_COOKIE, "")
    if not challenge:
        return view.redirect("/portal/password")
    return view.render("portal/password_new.html", _reset_page(session, deps, challenge))


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
        _same(new_password, new_password_again)
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
        shown = _reset_page(
            session,
            deps,
            challenge,
            code="" if spent else code,
            error=view.error_text(exc),
            error_field=exc.extra.get("field") or RESET_ERROR_FIELDS.get(exc.code),
            code_spent=spent,
        )
        return view.render("portal/password_new.html", shown, exc.status)
    view.set_cookie(RESET_COOKIE, "")
    view.set_cookie(SUBSCRIBER_COOKIE, "")
    return view.redirect("/portal?done=password")


@router.get("/service-password")
def service_password_form(signed: SubscriberPage, done: str = "") -> Response:
    view = signed.view
    notice = view.t("Your service password is saved.") if done == "1" else None
    shown = ServicePasswordPage(has_service_password(signed.session, signed.actor), notice=notice)
    return view.render("portal/service_password.html", shown)


@router.post("/service-password")
def set_service_password(
    signed: SubscriberPage,
    current_password: FormStr = "",
    new_password: FormStr = "",
    new_password_again: FormStr = "",
    csrf: FormStr = "",
) -> Response:
    """Set a first service password, or change it by giving the current one."""
    view, session = signed.view, signed.session

    def change() -> Response:
        view.check_csrf(csrf)
        _same(new_password, new_password_again)
        identity.set_service_password(
            session, signed.deps, signed.actor, current_password or None, new_password
        )
        return view.redirect("/portal/service-password?done=1")

    def refused(exc: LinecloseError) -> Response:
        field = exc.extra.get("field")
        if exc.code == "identity_check_failed":
            field = "current_password"
        shown = ServicePasswordPage(
            has_service_password(session, signed.actor),
            error=view.error_text(exc),
            error_field=field,
        )
        return view.render("portal/service_password.html", shown, exc.status)

    return signed.attempt(change, refused)
