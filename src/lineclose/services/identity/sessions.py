"""Subscriber sessions: opened by a verified code, revoked by signing out or a password reset."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.security.secrets_hashing import new_token, token_digest
from lineclose.services.context import Deps
from lineclose.services.identity.tokens import SUBSCRIBER_TOKEN_PREFIX


def open_session(
    session: Session, deps: Deps, line: models.Line, method: str
) -> tuple[str, datetime]:
    """A new subscriber session on a line, signed in by `method`; returns the token and its expiry."""
    now = deps.clock.now()
    token = new_token(SUBSCRIBER_TOKEN_PREFIX)
    expires_at = now + timedelta(seconds=deps.settings.session_ttl_seconds)
    session.add(
        models.SubscriberSession(
            token_hash=token_digest(token),
            subscriber_id=line.subscriber_id,
            line_id=line.id,
            method=method,
            expires_at=expires_at,
            created_at=now,
        )
    )
    audit.append(
        session,
        now,
        f"subscriber:{line.subscriber_id}",
        "signed_in",
        "line",
        str(line.id),
        {"method": method},
    )
    return token, expires_at


def sign_out(session: Session, deps: Deps, token: str) -> bool:
    """Revoke a subscriber session at once; True when a live session was revoked."""
    found = session.execute(
        select(models.SubscriberSession).where(
            models.SubscriberSession.token_hash == token_digest(token)
        )
    ).scalar_one_or_none()
    now = deps.clock.now()
    if found is None or found.revoked_at is not None or found.expires_at <= now:
        return False
    found.revoked_at = now
    audit.append(
        session,
        now,
        f"subscriber:{found.subscriber_id}",
        "signed_out",
        "line",
        str(found.line_id),
        {},
    )
    return True


def revoke_sessions(session: Session, now: datetime, subscriber_id: int) -> None:
    session.execute(
        update(models.SubscriberSession)
        .where(
            models.SubscriberSession.subscriber_id == subscriber_id,
            models.SubscriberSession.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
