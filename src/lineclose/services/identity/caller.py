"""A caller verified by staff, remembered on the server from the check to the submit.

On the hotline an agent asks for the service password or ID number, checks it and reruns the
precheck; the caller then says "go ahead". The secret was typed once and must not be kept in
the page, so the check leaves a verification here and the page carries only its random handle.
The submit redeems it once, for the same line, by the same staff member, within minutes.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.domain.facts import IdentityMethod
from lineclose.errors import ChallengeFailed
from lineclose.security.secrets_hashing import new_token, token_digest
from lineclose.services.context import Actor, Deps

CALLER_VERIFICATION_PREFIX = "lcv_"
# Long enough to read the checklist to the caller and hear their choices; short enough that a
# page left open on a counter cannot be used for the next customer's line.
VERIFICATION_TTL = timedelta(minutes=15)


def remember_caller_verification(
    session: Session, deps: Deps, actor: Actor, line_id: int, methods: frozenset[IdentityMethod]
) -> str | None:
    """Keep the methods staff just verified for this line; the handle for the page, or None
    when nothing was verified."""
    kept = sorted(m.value for m in methods if m is not IdentityMethod.OTP)
    if not kept:
        return None
    now = deps.clock.now()
    token = new_token(CALLER_VERIFICATION_PREFIX)
    session.add(
        models.CallerVerification(
            token_hash=token_digest(token),
            line_id=line_id,
            staff=actor.label,
            channel=actor.channel.value,
            methods=kept,
            created_at=now,
            expires_at=now + VERIFICATION_TTL,
        )
    )
    session.flush()
    return token


def redeem_caller_verification(
    session: Session, deps: Deps, actor: Actor, line_id: int, token: str
) -> frozenset[IdentityMethod]:
    """The methods a verification proves, used up by this call. Another line, another staff
    member or channel, a used or an expired handle proves nothing and refuses the submit."""
    found = session.execute(
        select(models.CallerVerification).where(
            models.CallerVerification.token_hash == token_digest(token.strip())
        )
    ).scalar_one_or_none()
    now = deps.clock.now()
    if (
        found is None
        or found.line_id != line_id
        or found.staff != actor.label
        or found.channel != actor.channel.value
        or found.used_at is not None
        or found.expires_at <= now
    ):
        raise ChallengeFailed(
            "the caller's verification has expired or was for another line: verify again",
            code="caller_verification_expired",
            field="identity",
        )
    found.used_at = now
    return frozenset(IdentityMethod(m) for m in found.methods)
