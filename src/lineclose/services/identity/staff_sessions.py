"""Console sessions of staff: signing in with a token opens a session of its own, so the
browser never holds the token and signing out ends the session on the server."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.errors import Unauthenticated
from lineclose.security.secrets_hashing import new_token, token_digest
from lineclose.services.context import Actor, Channel, Deps
from lineclose.services.identity.tokens import STAFF_TOKEN_PREFIX, staff_actor, touch, usable

CONSOLE_SESSION_PREFIX = "lcc"
CONSOLE_SESSION_TTL = timedelta(hours=12)
REFUSED = "sign in with your staff token"


def open_console_session(session: Session, deps: Deps, token: str) -> tuple[str, datetime]:
    """Check a staff token and open a console session on it, ending no later than the token."""
    now = deps.clock.now()
    staff = None
    if token.startswith(STAFF_TOKEN_PREFIX + "_"):
        staff = session.execute(
            select(models.ApiToken).where(models.ApiToken.token_hash == token_digest(token))
        ).scalar_one_or_none()
    if staff is None or not usable(staff, now) or not staff_actor(staff, Channel.HOTLINE).is_staff:
        raise Unauthenticated("this staff token is unknown, revoked or expired")
    expires_at = now + CONSOLE_SESSION_TTL
    if staff.expires_at is not None:
        expires_at = min(expires_at, staff.expires_at)
    raw = new_token(CONSOLE_SESSION_PREFIX)
    session.add(
        models.StaffSession(
            session_hash=token_digest(raw), token_id=staff.id, created_at=now, expires_at=expires_at
        )
    )
    audit.append(
        session, now, f"{staff.role}:{staff.name}", "console.signed_in", "api_token", staff.name, {}
    )
    return raw, expires_at


def _live(session: Session, raw: str, now: datetime) -> tuple[models.StaffSession, models.ApiToken]:
    found = session.execute(
        select(models.StaffSession, models.ApiToken)
        .join(models.ApiToken, models.ApiToken.id == models.StaffSession.token_id)
        .where(models.StaffSession.session_hash == token_digest(raw))
    ).one_or_none()
    if found is None:
        raise Unauthenticated(REFUSED)
    console, staff = found
    if console.revoked_at is not None or console.expires_at <= now or not usable(staff, now):
        raise Unauthenticated(REFUSED)
    return console, staff


def actor_from_console_session(session: Session, deps: Deps, raw: str, channel: Channel) -> Actor:
    """The staff member signed in to this console session; ended, expired or revoked sessions
    and sessions of revoked or expired tokens are refused alike."""
    if not raw.startswith(CONSOLE_SESSION_PREFIX + "_"):
        raise Unauthenticated(REFUSED)
    now = deps.clock.now()
    _, staff = _live(session, raw, now)
    touch(session, staff, now)
    return staff_actor(staff, channel)


def close_console_session(session: Session, deps: Deps, raw: str) -> bool:
    """Sign out: the session id is refused from now on. True when a live session ended."""
    now = deps.clock.now()
    try:
        console, staff = _live(session, raw, now)
    except Unauthenticated:
        return False
    console.revoked_at = now
    audit.append(
        session,
        now,
        f"{staff.role}:{staff.name}",
        "console.signed_out",
        "api_token",
        staff.name,
        {},
    )
    return True
