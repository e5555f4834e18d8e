"""Per-request plumbing: the session the request owns, the wired dependencies, and the caller.

Only what reads the database runs on the thread pool (the token lookup, the route itself);
the rest is plain computation and runs on the event loop, so a call does not hop to a
thread and back once per dependency.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from lineclose.bootstrap import App
from lineclose.errors import Forbidden, Unauthenticated
from lineclose.services import limiter as ratelimits
from lineclose.services.access import RULES, Action
from lineclose.services.context import Actor, Channel, Deps, Role, Scope
from lineclose.services.identity import actor_from_remembered_token, actor_from_token
from lineclose.services.unit_of_work import Session, reads_only


def app_of(request: Request) -> App:
    app: App = request.app.state.lineclose
    return app


async def get_app(request: Request) -> App:
    return app_of(request)


def _end(session: Session) -> None:
    session.rollback()
    session.close()


async def get_session(app: Annotated[App, Depends(get_app)]) -> AsyncIterator[Session]:
    """The route commits; anything not committed is rolled back when the request ends.

    Opening a session touches no database. At the end, a session still in a transaction is
    rolled back on the thread pool; one whose route committed or ended it holds no connection,
    and is closed here.
    """
    session = app.sessions()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(_end, session)
        else:
            session.close()


async def get_read_session(session: Annotated[Session, Depends(get_session)]) -> Session:
    """The request's session for a call that only reads: its transaction is declared
    reads-only before anything touches the database (the token lookup included), so on SQLite
    it reads beside writers instead of queueing for the write lock."""
    reads_only(session)
    return session


async def get_deps(app: Annotated[App, Depends(get_app)]) -> Deps:
    return app.deps


async def optional_actor(
    session: Annotated[Session, Depends(get_session)],
    deps: Annotated[Deps, Depends(get_deps)],
    authorization: Annotated[str | None, Header()] = None,
    x_lineclose_channel: Annotated[str | None, Header()] = None,
) -> Actor | None:
    """The caller; a staff token read a moment ago is answered here, else the token is looked
    up on the thread pool."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("use 'Authorization: Bearer <token>'")
    actor = actor_from_remembered_token(deps, token.strip(), Channel.API)
    if actor is None:
        actor = await run_in_threadpool(actor_from_token, session, deps, token.strip(), Channel.API)
    if actor.role is Role.SUBSCRIBER:
        channel = Channel.APP if x_lineclose_channel == "app" else Channel.ONLINE
        return replace(actor, channel=channel)
    return actor


async def current_actor(actor: Annotated[Actor | None, Depends(optional_actor)]) -> Actor:
    if actor is None:
        raise Unauthenticated("sign in: send 'Authorization: Bearer <token>'")
    return actor


async def staff_actor(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
    if not actor.is_staff:
        raise Forbidden("staff only", code="staff_only")
    return actor


@dataclass(frozen=True)
class Policy:
    """Who may call a route: these roles, or an integration token holding one of these scopes."""

    roles: frozenset[Role]
    scopes: frozenset[Scope]
    public: bool = False


POLICY_ATTRIBUTE = "lineclose_policy"


def allow(*roles: Role, scopes: tuple[Scope, ...] = ()) -> Any:
    """A route dependency that refuses every caller outside `roles` and `scopes` (401 when anonymous).

    The policy is attached to the dependency so tests can read it off every route and try
    each other role against it.
    """
    policy = Policy(frozenset(roles), frozenset(scopes))

    async def check(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        if actor.role in policy.roles:
            return actor
        if actor.role is Role.INTEGRATION and actor.scopes & policy.scopes:
            return actor
        raise Forbidden("your role may not do this", code="role_not_allowed")

    setattr(check, POLICY_ATTRIBUTE, policy)
    return Depends(check)


def public(why: str) -> Any:
    """Mark a route open to anyone (it must then be rate limited or harmless); `why` says why."""

    async def open_to_anyone() -> None:
        return None

    open_to_anyone.__doc__ = why
    setattr(open_to_anyone, POLICY_ATTRIBUTE, Policy(frozenset(), frozenset(), public=True))
    return Depends(open_to_anyone)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def limited(limit_for: Callable[[Deps], ratelimits.Limit], per: str = "client") -> Any:
    """Count the call against the shared limiter, per client address or per signed-in caller
    (on the event loop when the counts are held in this process, else on the thread pool)."""

    async def check(
        request: Request,
        session: Annotated[Session, Depends(get_session)],
        deps: Annotated[Deps, Depends(get_deps)],
        actor: Annotated[Actor | None, Depends(optional_actor)],
    ) -> None:
        subject = actor.label if per == "caller" and actor else client_address(request)
        if ratelimits.counts_in_process(deps):
            ratelimits.consume(session, deps, limit_for(deps), subject)
        else:
            await run_in_threadpool(ratelimits.consume, session, deps, limit_for(deps), subject)

    return Depends(check)


def may(action: Action) -> Any:
    """A route dependency that admits exactly whom `services.access` lets take the action."""
    rule = RULES[action]
    return allow(*sorted(rule.roles), scopes=tuple(sorted(rule.scopes)))


SessionDep = Annotated[Session, Depends(get_session)]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]
DepsDep = Annotated[Deps, Depends(get_deps)]
ActorDep = Annotated[Actor, Depends(current_actor)]
StaffDep = Annotated[Actor, Depends(staff_actor)]
