"""Staff sign in to the console by pasting their API token, kept only in an HttpOnly cookie."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from lineclose.errors import LinecloseError, Unauthenticated
from lineclose.services import identity
from lineclose.services.access import Action, allowed
from lineclose.services.context import Actor, Channel
from lineclose.web.api.deps import DepsDep, SessionDep
from lineclose.web.pages.common import STAFF_COOKIE, page
from lineclose.web.pages.signin import staff_actor

router = APIRouter(prefix="/console")


@dataclass(frozen=True)
class StaffSignInPage:
    error: str | None = None


FormStr = Annotated[str, Form()]


def home(actor: Actor) -> str:
    """Deciders land on the review queue; agents, who do not review, on the line search."""
    return "/console/queue" if allowed(actor, Action.REVIEW_QUEUE) else "/console/search"


@router.get("")
def sign_in_form(request: Request, session: SessionDep, deps: DepsDep) -> Response:
    if request.cookies.get(STAFF_COOKIE):
        try:
            return page(request).redirect(home(staff_actor(session, deps, request)))
        except Unauthenticated:
            pass
    return page(request).render("console/sign_in.html", StaffSignInPage())


@router.post("/sign-in")
def sign_in(
    request: Request, session: SessionDep, deps: DepsDep, token: FormStr = "", csrf: FormStr = ""
) -> Response:
    view = page(request)
    try:
        view.check_csrf(csrf)
        actor = identity.actor_from_token(session, deps, token.strip(), Channel.HOTLINE)
        if not actor.is_staff:
            raise Unauthenticated("not a staff token", code="staff_token_invalid")
    except Unauthenticated:
        error = view.t("This staff token is unknown or revoked.")
        return view.render("console/sign_in.html", StaffSignInPage(error), 401)
    except LinecloseError as exc:
        shown = StaffSignInPage(view.error_text(exc))
        return view.render("console/sign_in.html", shown, exc.status)
    view.set_cookie(STAFF_COOKIE, token.strip(), 12 * 3600)
    return view.redirect(home(actor))


@router.post("/sign-out")
def sign_out(request: Request, csrf: FormStr = "") -> Response:
    view = page(request, session_token=request.cookies.get(STAFF_COOKIE, ""))
    try:
        view.check_csrf(csrf)
    except LinecloseError:
        return view.redirect("/console/search")
    view.set_cookie(STAFF_COOKIE, "")
    return view.redirect("/console")
