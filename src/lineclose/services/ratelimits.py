"""Rate limits held in the database, so every API process on every machine counts the same calls.

Each limit is a fixed window: a counter per (limit, caller, window start), incremented with one
atomic upsert committed at once on the caller's session, so a call that is refused or fails later still counts
(otherwise probing unknown numbers would be free).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from lineclose.db.models import RateLimitCounter
from lineclose.errors import RateLimited
from lineclose.services.context import Deps


@dataclass(frozen=True)
class Limit:
    bucket: str
    limit: int
    window_seconds: int
    message: str


def otp_limits(deps: Deps) -> tuple[Limit, ...]:
    """Codes to one line: at most one a minute and a few an hour (settings), whoever asks."""
    s = deps.settings
    return (
        Limit(
            "otp_send_min",
            1,
            s.otp_resend_min_seconds,
            "a code was sent to this line a moment ago: wait before asking again",
        ),
        Limit(
            "otp_send_hour",
            s.otp_sends_per_hour,
            3600,
            "too many codes were sent to this line this hour: try again later",
        ),
    )


def sign_in_per_client(deps: Deps) -> Limit:
    return Limit("sign_in_client", 30, 3600, "too many sign-in attempts from this address")


def otp_failures(deps: Deps) -> Limit:
    s = deps.settings
    return Limit(
        "otp_failures",
        s.otp_lockout_failures,
        s.otp_lockout_seconds,
        "too many wrong codes for this line: it is locked for sign-in for a while",
    )


def precheck_limit(deps: Deps) -> Limit:
    return Limit("precheck", deps.settings.precheck_per_minute, 60, "too many prechecks: slow down")


def certificate_limit(deps: Deps) -> Limit:
    return Limit(
        "certificate_check",
        deps.settings.certificate_checks_per_minute,
        60,
        "too many certificate checks from this address: slow down",
    )


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
