"""Staff sign in to the console by pasting their API token; the browser then holds only the id
of a console session (HttpOnly, SameSite cookie), which signing out ends on the server."""

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
        console_id, expires_at = identity.open_console_session(session, deps, token.strip())
        actor = identity.actor_from_console_session(session, deps, console_id, Channel.HOTLINE)
        session.commit()
    except Unauthenticated:
        error = view.t("This staff token is unknown or revoked.")
        return view.render("console/sign_in.html", StaffSignInPage(error), 401)
    except LinecloseError as exc:
        shown = StaffSignInPage(view.error_text(exc))
        return view.render("console/sign_in.html", shown, exc.status)
    lifetime = int((expires_at - deps.clock.now()).total_seconds())
    view.set_cookie(STAFF_COOKIE, console_id, max(1, lifetime))
    return view.redirect(home(actor))


@router.post("/sign-out")
def sign_out(request: Request, session: SessionDep, deps: DepsDep, csrf: FormStr = "") -> Response:
    console_id = request.cookies.get(STAFF_COOKIE, "")
    view = page(request, session_token=console_id)
    try:
        view.check_csrf(csrf)
    except LinecloseError:
        return view.redirect("/console/search")
    identity.close_console_session(session, deps, console_id)
    session.commit()
    view.set_cookie(STAFF_COOKIE, "")
    return view.redirect("/console")
