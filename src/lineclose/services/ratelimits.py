"""Rate limits held in the database, so every API process on every machine counts the same calls.

Each limit is a fixed window: a counter per (limit, caller, window start), incremented with one
atomic upsert committed at once on the caller's session, so a call that is refused or fails later still counts
(otherwise probing unknown numbers would be free).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from lineclose.db.models import RateLimitCounter
from lineclose.errors import RateLimited
from lineclose.services.context import Deps
from lineclose.services.limit_rules import (
    Limit,
    certificate_limit,
    otp_failures,
    otp_limits,
    precheck_limit,
    sign_in_per_client,
)

__all__ = [
    "Limit",
    "certificate_limit",
    "consume",
    "ensure_not_exhausted",
    "otp_failures",
    "otp_limits",
    "precheck_limit",
    "purge_expired",
    "record_in_transaction",
    "sign_in_per_client",
]


def _window(limit: Limit, now: datetime) -> tuple[int, datetime]:
    start = int(now.timestamp()) // limit.window_seconds * limit.window_seconds
    return start, datetime.fromtimestamp(start + limit.window_seconds, UTC)


def _key(deps: Deps, limit: Limit, subject: str, start: int) -> str:
    # Keyed hash: the subject is often a phone number and must not sit in the table in clear.
    return deps.vault.blind_index(f"ratelimit|{limit.bucket}|{subject}|{start}")


def _retry_after(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def _increment(
    connection: Connection | Session, dialect: str, key: str, until: datetime, cost: int
) -> int:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(RateLimitCounter)
        .values(key=key, count=cost, expires_at=until)
        .on_conflict_do_update(
            index_elements=[RateLimitCounter.key],
            set_={"count": RateLimitCounter.count + cost},
        )
        .returning(RateLimitCounter.count)
    )
    return int(connection.execute(statement).scalar_one())


def consume(session: Session, deps: Deps, limit: Limit, subject: str) -> None:
    """Count one call now, committed at once, and refuse it if the window is full.

    Call this before the use case writes anything. The count is committed on the caller's own
    session, which has written nothing yet: a request holds one pooled connection at a time,
    never a second one for the counter (with every pooled connection held by a request waiting
    for another, the pool would deadlock under load). On SQLite a second connection would also
    wait for the caller's own write lock.
    """
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("rate limits are counted before the use case changes anything")
    now = deps.clock.now()
    start, until = _window(limit, now)
    key = _key(deps, limit, subject, start)
    count = _increment(session, session.get_bind().dialect.name, key, until, 1)
    # Committed at once so the counter's row lock is not held for the rest of the request.
    session.commit()
    if count > limit.limit:
        raise RateLimited(limit.message, retry_after=_retry_after(until, now))


def record_in_transaction(session: Session, deps: Deps, limit: Limit, subject: str) -> int:
    """Count one event inside the caller's transaction (committed with the change it explains)."""
    now = deps.clock.now()
    start, until = _window(limit, now)
    dialect = session.get_bind().dialect.name
    return _increment(session, dialect, _key(deps, limit, subject, start), until, 1)


def ensure_not_exhausted(
    session: Session, deps: Deps, limit: Limit, subject: str, code: str | None = None
) -> None:
    """Refuse while the current window already holds `limit` events (a lock-out), counting none."""
    now = deps.clock.now()
    start, until = _window(limit, now)
    count = session.execute(
        select(RateLimitCounter.count).where(
            RateLimitCounter.key == _key(deps, limit, subject, start)
        )
    ).scalar_one_or_none()
    if count is not None and count >= limit.limit:
        raise RateLimited(limit.message, retry_after=_retry_after(until, now), code=code)


def purge_expired(session: Session, now: datetime) -> int:
    """Windows that ended are useless; the sweep removes them so the table stays small."""
    cutoff = now - timedelta(seconds=1)
    result = session.execute(delete(RateLimitCounter).where(RateLimitCounter.expires_at < cutoff))
    return int(result.rowcount)  # type: ignore[attr-defined]
