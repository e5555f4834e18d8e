"""Who is looking at a page: the signed-in subscriber or staff member, as FastAPI dependencies,
and the one way a page applies a change and answers a refusal.

Rules:
- A page that needs a sign-in declares `SubscriberPage` or `StaffPage`; without a valid
  cookie the browser is sent to the sign-in form and the stale cookie is cleared.
- A change commits only when it went through; a refusal rolls back and re-renders the form
  with the reason and what was typed, answered with the refusal's 4xx status.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response

from lineclose.errors import LinecloseError, Unauthenticated
from lineclose.services import identity, language
from lineclose.services.access import Action, allowed
from lineclose.services.context import Actor, Channel, Deps
from lineclose.services.reads.lines import subscriber_locale
from lineclose.services.reads.requests import escalations
from lineclose.services.unit_of_work import Session
from lineclose.web.api.deps import DepsDep, ReadSessionDep, SessionDep
from lineclose.web.pages.common import STAFF_COOKIE, SUBSCRIBER_COOKIE, Page, page


class SignInRequired(Exception):
    """No valid sign-in for the page: go to `home` and forget `cookie`."""

    def __init__(self, home: str, cookie: str) -> None:
        super().__init__(home)
        self.home = home
        self.cookie = cookie


@dataclass(frozen=True)
class Signed:
    """A page request with its signed-in actor, its page state and its transaction."""

    actor: Actor
    view: Page
    session: Session
    deps: Deps

    def acting_through(self, channel: Channel) -> Signed:
        return replace(self, actor=replace(self.actor, channel=channel))

    def attempt(
        self,
        change: Callable[[], Response],
        refused: Callable[[LinecloseError], Response],
    ) -> Response:
        """Apply a change and commit, or roll back and answer with the refusal's page."""
        try:
            response = change()
            self.session.commit()
        except LinecloseError as exc:
            self.session.rollback()
            return refused(exc)
        return response

    @property
    def staff(self) -> StaffBadge:
        badge = StaffBadge.of(self.actor)
        if not badge.can_escalate:
            return badge
        # Supervisors see on every console page how many escalated reviews wait for them.
        waiting = len(escalations(self.session, self.deps, self.actor))
        return replace(badge, escalated=waiting)


@dataclass(frozen=True)
class StaffBadge:
    """Who is signed in to the console and which parts of it their role opens."""

    name: str
    role: str
    can_review: bool
    can_escalate: bool
    can_operate: bool
    escalated: int = 0

    @staticmethod
    def of(actor: Actor) -> StaffBadge:
        return StaffBadge(
            name=actor.ident,
            role=actor.role.value,
            can_review=allowed(actor, Action.REVIEW_QUEUE),
            can_escalate=allowed(actor, Action.ESCALATIONS),
            can_operate=allowed(actor, Action.OUTBOX),
        )


def subscriber_actor(session: Session, deps: Deps, request: Request) -> tuple[Actor, str]:
    token = request.cookies.get(SUBSCRIBER_COOKIE, "")
    if not token:
        raise Unauthenticated("sign in with a code")
    actor = identity.actor_from_token(session, deps, token, Channel.ONLINE)
    if actor.subscriber_id is None:
        raise Unauthenticated("sign in with a code")
    return actor, token


def staff_actor(session: Session, deps: Deps, request: Request) -> Actor:
    token = request.cookies.get(STAFF_COOKIE, "")
    if not token:
        raise Unauthenticated("sign in with your staff token")
    return identity.actor_from_console_session(session, deps, token, Channel.HOTLINE)


def subscriber_page(request: Request, session: SessionDep, deps: DepsDep) -> Signed:
    try:
        actor, token = subscriber_actor(session, deps, request)
    except Unauthenticated:
        raise SignInRequired("/portal", SUBSCRIBER_COOKIE) from None
    locale = subscriber_locale(session, actor)
    stored = language.stored_language(session, actor)
    return Signed(actor, page(request, locale, token, stored), session, deps)


def staff_page(request: Request, session: SessionDep, deps: DepsDep) -> Signed:
    try:
        actor = staff_actor(session, deps, request)
    except Unauthenticated:
        raise SignInRequired("/console", STAFF_COOKIE) from None
    return Signed(actor, page(request, None, request.cookies.get(STAFF_COOKIE, "")), session, deps)


def subscriber_reading_page(request: Request, session: ReadSessionDep, deps: DepsDep) -> Signed:
    """`subscriber_page` for a page that only reads: its transaction is reads-only."""
    return subscriber_page(request, session, deps)


def staff_reading_page(request: Request, session: ReadSessionDep, deps: DepsDep) -> Signed:
    """`staff_page` for a page that only reads: its transaction is reads-only."""
    return staff_page(request, session, deps)


SubscriberPage = Annotated[Signed, Depends(subscriber_page)]
StaffPage = Annotated[Signed, Depends(staff_page)]
# Pages that show and change nothing; a sign-in's last use is still recorded, apart.
SubscriberReadingPage = Annotated[Signed, Depends(subscriber_reading_page)]
StaffReadingPage = Annotated[Signed, Depends(staff_reading_page)]

PAGE_AREAS = ("/portal", "/console")


def is_page(request: Request) -> bool:
    return request.url.path.startswith(PAGE_AREAS)


def error_page(request: Request, exc: LinecloseError) -> Response | None:
    """A refusal on a page that has no form to show it by: the error page, with its status.
    None for the API's paths, which answer problem+json."""
    if not is_page(request):
        return None
    view = page(request)
    return view.render("error.html", {"message": view.error_text(exc)}, exc.status)


def install(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        view = page(request)
        view.set_cookie(exc.cookie, "")
        return view.redirect(exc.home)
