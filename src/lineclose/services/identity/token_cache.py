"""Staff tokens remembered for a few seconds per process, so a desk or an integration calling
many times a second is not looked up on every call.

A token's row changes only when it is revoked (and, at most once a minute, when its last use is
recorded). Revoking a token in this process forgets every remembered token at once and again
when the revocation commits; a revocation made by another process (the command line) is heard
within `CACHE_SECONDS`. Expiry is checked on every call against the remembered expiry. Unknown
tokens are never remembered.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.services.context import Deps

CACHE_SECONDS = 2.0
MOST_REMEMBERED = 10_000


@dataclass
class CachedToken:
    """What a call needs of a staff token's row."""

    id: int
    name: str
    role: str
    operator_id: int | None
    scopes: list[str]
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    fetched: float
    generation: int


_lock = threading.Lock()
_generation = 0
# One cache per wired `Deps` (per App, per database); dropped with it.
_caches: dict[int, dict[str, CachedToken]] = {}


def _cache(deps: Deps) -> dict[str, CachedToken]:
    key = id(deps)
    found = _caches.get(key)
    if found is None:
        with _lock:
            found = _caches.get(key)
            if found is None:
                found = _caches[key] = {}
                weakref.finalize(deps, _caches.pop, key, None)
    return found


def generation() -> int:
    """Take it before reading a token's row; pass it to `remember`."""
    return _generation


def lookup(deps: Deps, digest: str) -> CachedToken | None:
    found = _cache(deps).get(digest)
    if found is None:
        return None
    if found.generation != _generation or time.monotonic() - found.fetched > CACHE_SECONDS:
        return None
    return found


def remember(deps: Deps, digest: str, row: models.ApiToken, taken: int) -> CachedToken:
    """Keep the row read after `generation()` returned `taken` (not kept if a revocation came
    in between: the row may predate it)."""
    cached = CachedToken(
        id=row.id,
        name=row.name,
        role=row.role,
        operator_id=row.operator_id,
        scopes=list(row.scopes or []),
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
        fetched=time.monotonic(),
        generation=taken,
    )
    cache = _cache(deps)
    if len(cache) >= MOST_REMEMBERED:
        cache.clear()
    cache[digest] = cached
    return cached


def _forget_all(*_: object) -> None:
    global _generation
    with _lock:
        _generation += 1
        for cache in _caches.values():
            cache.clear()


def forget_on_revocation(session: Session) -> None:
    """A token is being revoked in `session`: forget every remembered token now and once more
    when the revocation commits (a call in between may have read the row before it)."""
    _forget_all()
    event.listen(session, "after_commit", _forget_all, once=True)
