"""Guessing identity evidence: every wrong ID number or service password, on every channel,
counts against the line and against the caller, and a few lock both for a while.

The counters are the database-held windows the one-time codes use (`services.ratelimits`).
A wrong answer must stay counted although the call that carried it fails: `refuse` abandons
what the use case did so far and commits the count and its audit before raising, the way
`ratelimits.consume` commits a call before the use case runs.
"""

from __future__ import annotations

from typing import NoReturn

from sqlalchemy.orm import Session

from lineclose.db import audit
from lineclose.domain.facts import IdentityMethod
from lineclose.errors import ChallengeFailed
from lineclose.services import ratelimits
from lineclose.services.context import Actor, Deps
from lineclose.services.unit_of_work import write_apart

LOCKED = "identity_locked"


def line_limit(deps: Deps) -> ratelimits.Limit:
    s = deps.settings
    return ratelimits.Limit(
        "evidence_failures_line",
        s.evidence_lockout_failures,
        s.evidence_lockout_seconds,
        "too many wrong identity answers for this line: its identity checks are locked for a "
        "while; verify in a store with an ID document",
    )


def caller_limit(deps: Deps) -> ratelimits.Limit:
    s = deps.settings
    return ratelimits.Limit(
        "evidence_failures_caller",
        s.evidence_lockout_failures_per_caller,
        s.evidence_lockout_seconds,
        "too many wrong identity answers from you: identity checks are locked for a while",
    )


def ensure_not_locked(session: Session, deps: Deps, line_id: int, caller: str | None) -> None:
    """Refuse (429, `identity_locked`) while the line or the caller is locked, counting nothing."""
    ratelimits.ensure_not_exhausted(session, deps, line_limit(deps), str(line_id), code=LOCKED)
    if caller is not None:
        ratelimits.ensure_not_exhausted(session, deps, caller_limit(deps), caller, code=LOCKED)


def count_failure(
    session: Session,
    deps: Deps,
    line_id: int,
    method: IdentityMethod,
    caller: str | None,
    channel: str,
) -> None:
    """Count one wrong answer in the caller's transaction and audit it; audit the lock it causes."""
    now = deps.clock.now()
    who = caller or "anonymous"
    failures = ratelimits.record_in_transaction(session, deps, line_limit(deps), str(line_id))
    details = {"method": method.value, "channel": channel, "failures": failures}
    audit.append(session, now, who, "identity.check_failed", "line", str(line_id), details)
    if failures == deps.settings.evidence_lockout_failures:
        audit.append(session, now, who, "identity.locked", "line", str(line_id), details)
    if caller is None:
        return
    by_caller = ratelimits.record_in_transaction(session, deps, caller_limit(deps), caller)
    if by_caller == deps.settings.evidence_lockout_failures_per_caller:
        audit.append(
            session,
            now,
            who,
            "identity.locked",
            "caller",
            caller,
            {"method": method.value, "channel": channel, "failures": by_caller},
        )


def refuse(
    session: Session, deps: Deps, actor: Actor, line_id: int, method: IdentityMethod, message: str
) -> NoReturn:
    """End the use case on a wrong answer: drop its changes, commit the count, raise the refusal."""
    with write_apart(session):
        count_failure(session, deps, line_id, method, actor.label, actor.channel.value)
    raise ChallengeFailed(message, code="identity_check_failed")
