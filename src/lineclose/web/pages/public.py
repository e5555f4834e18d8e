"""Public pages: certificate verification, help, and the language switch. No sign-in needed.

The verification page confirms a certificate and shows only what the certificate's public
view holds: reference, operator, masked number and dates, never a name or an ID number.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lineclose.errors import LinecloseError
from lineclose.i18n import SUPPORTED_LOCALES
from lineclose.services import language
from lineclose.services import limiter as ratelimits
from lineclose.services.certificates import find_certificate, public_view
from lineclose.web.api.deps import DepsDep, SessionDep
from lineclose.web.pages.common import LANG_COOKIE, count_client_call, page, safe_next
from lineclose.web.pages.signin import subscriber_actor

router = APIRouter(include_in_schema=False)

ONE_YEAR = 365 * 24 * 3600


@router.get("/lang/{locale}")
def switch_language(
    locale: str, request: Request, session: SessionDep, deps: DepsDep, next: str = "/"
) -> Response:
    """The switch is remembered by this browser and, for a signed-in subscriber, stored on
    them: SMS, e-mail and the certificate follow it from then on."""
    view = page(request)
    if locale in SUPPORTED_LOCALES:
        view.set_cookie(LANG_COOKIE, locale, ONE_YEAR)
        try:
            actor, _ = subscriber_actor(session, deps, request)
            language.choose_language(session, deps, actor, locale)
            session.commit()
        except LinecloseError:
            session.rollback()  # not signed in as a subscriber: the browser's choice is enough
    return view.redirect(safe_next(next))


@router.get("/help")
def help_page(request: Request) -> Response:
    return page(request).render("public/help.html", {})


@router.get("/verify")
def verify_form(request: Request, code: str = "") -> Response:
    view = page(request)
    if code.strip():
        return view.redirect(f"/verify/{code.strip().upper()}")
    return view.render("public/verify_form.html", {"code": ""})


@router.get("/verify/{code}")
def verify(code: str, request: Request, session: SessionDep, deps: DepsDep) -> Response:
    """Checks count per address as in the API, so codes cannot be guessed through the page."""
    view = page(request)
    try:
        count_client_call(session, deps, request, ratelimits.certificate_limit(deps))
        found = find_certificate(session, code)
        certificate = public_view(found)
    except LinecloseError as exc:
        return view.render(
            "public/verify_form.html",
            {"code": code, "error": view.error_text(exc)},
            exc.status,
        )
    timezone = str(found.content.get("timezone") or "UTC")
    return view.render("public/verify.html", {"cert": certificate, "timezone": timezone})
