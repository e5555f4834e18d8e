"""Per-request plumbing: the session the request owns, the wired dependencies, and the caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from lineclose.bootstrap import App
from lineclose.errors import Forbidden, Unauthenticated
from lineclose.services.context import Actor, Channel, Deps, Role
from lineclose.services.identity import actor_from_token


def get_app(request: Request) -> App:
    app: App = request.app.state.lineclose
    return app


def get_session(app: Annotated[App, Depends(get_app)]) -> Iterator[Session]:
    """The route commits; anything not committed is rolled back when the request ends."""
    session = app.sessions()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def get_deps(app: Annotated[App, Depends(get_app)]) -> Deps:
    return app.deps


def optional_actor(
    session: Annotated[Session, Depends(get_session)],
    deps: Annotated[Deps, Depends(get_deps)],
    authorization: Annotated[str | None, Header()] = None,
    x_lineclose_channel: Annotated[str | None, Header()] = None,
) -> Actor | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("use 'Authorization: Bearer <token>'")
    actor = actor_from_token(session, deps, token.strip(), Channel.API)
    if actor.role is Role.SUBSCRIBER:
        channel = Channel.APP if x_lineclose_channel == "app" else Channel.ONLINE
        return Actor(actor.role, actor.ident, channel, actor.subscriber_id, actor.verified_line_id)
    return actor


def current_actor(actor: Annotated[Actor | None, Depends(optional_actor)]) -> Actor:
    if actor is None:
        raise Unauthenticated("sign in: send 'Authorization: Bearer <token>'")
    return actor


def staff_actor(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
    if not actor.is_staff:
        raise Forbidden("staff only", code="staff_only")
    return actor


SessionDep = Annotated[Session, Depends(get_session)]
DepsDep = Annotated[Deps, Depends(get_deps)]
ActorDep = Annotated[Actor, Depends(current_actor)]
StaffDep = Annotated[Actor, Depends(staff_actor)]
