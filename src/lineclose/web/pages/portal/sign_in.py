"""Signing in to the portal with a code sent to the line, and signing out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from lineclose.errors import LinecloseError, Unauthenticated
from lineclose.services import identity
from lineclose.services import limiter as ratelimits
from lineclose.services.context import Deps
from lineclose.web.api.deps import DepsDep, SessionDep
from lineclose.web.pages.common import (
    CHALLENGE_COOKIE,
    SUBSCRIBER_COOKIE,
    count_client_call,
    page,
)
from lineclose.web.pages.portal.models import CodePage, SignInPage
from lineclose.web.pages.signin import subscriber_actor

router = APIRouter(prefix="/portal")
FormStr = Annotated[str, Form()]


def demo(deps: Deps) -> bool:
    """In the demo no SMS leaves the machine: codes are printed where `make demo` runs."""
    return deps.settings.sms_backend == "console"


@router.get("")
def sign_in_form(request: Request, session: SessionDep, deps: DepsDep, done: str = "") -> Response:
    if request.cookies.get(SUBSCRIBER_COOKIE):
        try:
            subscriber_actor(session, deps, request)
            return page(request).redirect("/portal/lines")
        except Unauthenticated:
            pass
    view = page(request)
    notice = (
        view.t("Your service password is changed. Sign in again where you need to.")
        if done == "password"
        else None
    )
    return view.render("portal/sign_in.html", SignInPage(notice=notice, demo=demo(deps)))


@router.post("/sign-in")
def start_sign_in(
    request: Request, session: SessionDep, deps: DepsDep, msisdn: FormStr = "", csrf: FormStr = ""
) -> Response:
    view = page(request)
    try:
        view.check_csrf(csrf)
        count_client_call(session, deps, request, ratelimits.sign_in_per_client(deps))
        started = identity.start_otp(session, deps, msisdn)
        session.commit()
    except LinecloseError as exc:
        session.rollback()
        shown = SignInPage(msisdn=msisdn, error=view.error_text(exc), demo=demo(deps))
        return view.render("portal/sign_in.html", shown, exc.status)
    view.set_cookie(CHALLENGE_COOKIE, f"{started.challenge_id}|{started.sent_to}", 600)
    return view.redirect("/portal/code")


@router.get("/code")
def code_form(request: Request, deps: DepsDep) -> Response:
    view = page(request)
    challenge = request.cookies.get(CHALLENGE_COOKIE, "")
    if not challenge:
        return view.redirect("/portal")
    return view.render(
        "portal/code.html", CodePage(sent_to=challenge.partition("|")[2], demo=demo(deps))
    )


@router.post("/code")
def verify_code(
    request: Request, session: SessionDep, deps: DepsDep, code: FormStr = "", csrf: FormStr = ""
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
        shown = CodePage(sent_to=sent_to, error=view.error_text(exc), code=code, demo=demo(deps))
        return view.render("portal/code.html", shown, exc.status)
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
