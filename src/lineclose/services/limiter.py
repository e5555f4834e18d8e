"""Rate limits over the `limits` library: a moving window per (limit, subject), held in memory for
the single-process demo or in Redis for every API process on every machine.

A moving window counts the calls of the last `window_seconds` at every instant, so a caller
cannot double the budget by spending it at the end of one fixed window and again at the start of
the next. Subjects are client addresses (resolved through trusted proxies only, see
`lineclose.web.client_address`), lines and callers; they are stored as a keyed hash, never in
clear. The interface is the one `services/ratelimits.py` offers, so callers switch by import.

A call is counted when it arrives, before the use case runs, and stays counted if it is refused
or fails later (otherwise probing unknown numbers would be free). Counters live outside the
database transaction: a failure counted by `record_in_transaction` stays counted even when the
transaction rolls back, which only errs on the side of the lock-out. Windows follow the wall
clock (the storage's), not the injected `Clock`.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import datetime

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy.orm import Session

from lineclose.errors import LinecloseError, RateLimited
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
    "LimiterUnavailable",
    "certificate_limit",
    "consume",
    "counts_in_process",
    "ensure_not_exhausted",
    "otp_failures",
    "otp_limits",
    "precheck_limit",
    "purge_expired",
    "record_in_transaction",
    "remaining",
    "reset",
    "sign_in_per_client",
]


class LimiterUnavailable(LinecloseError):
    """The shared counter store does not answer: calls that must be counted are refused rather
    than let through uncounted."""

    status = 503


@dataclass(frozen=True)
class _Limiter:
    storage: Storage
    strategy: MovingWindowRateLimiter


# One store per wired `Deps` (per App): a memory store must be shared by every request of the
# process, and a Redis store keeps its connection pool. Dropped with the Deps it belongs to.
_limiters: dict[int, _Limiter] = {}
_lock = threading.Lock()


def _limiter(deps: Deps) -> _Limiter:
    key = id(deps)
    with _lock:
        found = _limiters.get(key)
        if found is None:
            storage = storage_from_string(deps.settings.ratelimit_storage)
            if not isinstance(storage, Storage):
                raise ValueError("ratelimit_storage must name a synchronous store (memory, redis)")
            found = _Limiter(storage, MovingWindowRateLimiter(storage))
            _limiters[key] = found
            weakref.finalize(deps, _limiters.pop, key, None)
        return found


def counts_in_process(deps: Deps) -> bool:
    """Whether the counts live in this process's memory (no network call to count one)."""
    return isinstance(_limiter(deps).storage, MemoryStorage)


def _item(limit: Limit) -> RateLimitItem:
    return RateLimitItemPerSecond(limit.limit, limit.window_seconds, namespace="lineclose")


def _subject(deps: Deps, limit: Limit, subject: str) -> str:
    # Keyed hash: the subject is often a phone number and must not sit in the store in clear.
    return deps.vault.blind_index(f"ratelimit|{limit.bucket}|{subject}")


def _retry_after(limiter: _Limiter, item: RateLimitItem, key: str, limit: Limit) -> int:
    try:
        reset = limiter.strategy.get_window_stats(item, limit.bucket, key).reset_time
    except Exception:
        return limit.window_seconds
    return max(1, math.ceil(reset - time.time()))


def _unavailable(exc: Exception) -> LimiterUnavailable:
    return LimiterUnavailable(
        f"rate limits cannot be counted right now ({type(exc).__name__}): try again shortly",
        code="rate_limiter_unavailable",
    )


def consume(session: Session, deps: Deps, limit: Limit, subject: str) -> None:
    """Count one call now and refuse it (429, with a retry delay) if the window is full.

    `session` is unused and kept so callers of the database-held limits switch by import.
    """
    limiter = _limiter(deps)
    item, key = _item(limit), _subject(deps, limit, subject)
    try:
        allowed = limiter.strategy.hit(item, limit.bucket, key)
    except Exception as exc:  # the storage's driver errors (redis.ConnectionError, ...)
        raise _unavailable(exc) from exc
    if not allowed:
        raise RateLimited(limit.message, retry_after=_retry_after(limiter, item, key, limit))


def record_in_transaction(session: Session, deps: Deps, limit: Limit, subject: str) -> int:
    """Count one event (a wrong code, wrong evidence) and return how many the window now holds."""
    limiter = _limiter(deps)
    item, key = _item(limit), _subject(deps, limit, subject)
    try:
        limiter.strategy.hit(item, limit.bucket, key)
        remaining = limiter.strategy.get_window_stats(item, limit.bucket, key).remaining
    except Exception as exc:
        raise _unavailable(exc) from exc
    return limit.limit - remaining


def ensure_not_exhausted(
    session: Session, deps: Deps, limit: Limit, subject: str, code: str | None = None
) -> None:
    """Refuse while the window already holds `limit` events (a lock-out), counting none."""
    limiter = _limiter(deps)
    item, key = _item(limit), _subject(deps, limit, subject)
    try:
        allowed = limiter.strategy.test(item, limit.bucket, key)
    except Exception as exc:
        raise _unavailable(exc) from exc
    if not allowed:
        retry = _retry_after(limiter, item, key, limit)
        raise RateLimited(limit.message, retry_after=retry, code=code)


def remaining(deps: Deps, limit: Limit, subject: str) -> int:
    """Calls the subject may still make in the current window (operators answering a caller)."""
    limiter = _limiter(deps)
    item, key = _item(limit), _subject(deps, limit, subject)
    try:
        return int(limiter.strategy.get_window_stats(item, limit.bucket, key).remaining)
    except Exception as exc:
        raise _unavailable(exc) from exc


def purge_expired(session: Session, now: datetime) -> int:
    """Nothing to purge: memory and Redis stores expire their own windows. Kept for the sweep."""
    return 0


def reset(deps: Deps) -> None:
    """Forget every count in this App's store (operators clearing a lock-out, tests)."""
    _limiter(deps).storage.reset()
