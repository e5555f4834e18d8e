"""Bearer tokens: who holds a subscriber session or staff token, and issuing staff tokens."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.domain.facts import IdentityMethod
from lineclose.errors import InvalidInput, NotFound, Unauthenticated
from lineclose.security.secrets_hashing import new_token, token_digest
from lineclose.services.context import Actor, Channel, Deps, Role, Scope
from lineclose.services.identity import token_cache
from lineclose.services.identity.token_cache import CachedToken
from lineclose.services.unit_of_work import reading_only, write_apart

SUBSCRIBER_TOKEN_PREFIX = "lcu"
STAFF_TOKEN_PREFIX = "lcs"
# How often a token's last use is written: often enough to find forgotten tokens, rarely
# enough that a busy integration does not write a row on every call.
LAST_USED_EVERY = timedelta(minutes=1)
HINT_LENGTH = 8


def actor_from_token(session: Session, deps: Deps, token: str, channel: Channel) -> Actor:
    """Who holds this bearer token; expired, revoked and unknown tokens are all refused alike."""
    now = deps.clock.now()
    digest = token_digest(token)
    if token.startswith(SUBSCRIBER_TOKEN_PREFIX + "_"):
        found = session.execute(
            select(models.SubscriberSession).where(models.SubscriberSession.token_hash == digest)
        ).scalar_one_or_none()
        if found is None or found.revoked_at is not None or found.expires_at <= now:
            raise Unauthenticated("your session has expired: sign in again with a code")
        return Actor(
            Role.SUBSCRIBER,
            str(found.subscriber_id),
            channel,
            subscriber_id=found.subscriber_id,
            verified_line_id=found.line_id if found.method == IdentityMethod.OTP.value else None,
        )
    if token.startswith(STAFF_TOKEN_PREFIX + "_"):
        cached = token_cache.lookup(deps, digest)
        if cached is None:
            taken = token_cache.generation()
            row = session.execute(
                select(models.ApiToken).where(models.ApiToken.token_hash == digest)
            ).scalar_one_or_none()
            if row is None:
                raise _refused()
            cached = token_cache.remember(deps, digest, row, taken)
        if not usable(cached, now):
            raise _refused()
        touch(session, cached, now)
        return staff_actor(cached, channel)
    raise Unauthenticated("the bearer token is not a Lineclose token")


def _refused() -> Unauthenticated:
    return Unauthenticated("this staff token is unknown, revoked or expired")


def actor_from_remembered_token(deps: Deps, token: str, channel: Channel) -> Actor | None:
    """`actor_from_token` answered without the database, when the staff token was read a
    moment ago and its last use needs no recording; None when the database must be asked."""
    if not token.startswith(STAFF_TOKEN_PREFIX + "_"):
        return None
    cached = token_cache.lookup(deps, token_digest(token))
    if cached is None:
        return None
    now = deps.clock.now()
    if not usable(cached, now):
        raise _refused()
    if _use_due(cached, now):
        return None
    return staff_actor(cached, channel)


Token = models.ApiToken | CachedToken


def usable(staff: Token | None, now: datetime) -> bool:
    """A staff token works until revoked and, when it has one, until its expiry."""
    if staff is None or staff.revoked_at is not None:
        return False
    return staff.expires_at is None or staff.expires_at > now


def staff_actor(staff: Token, channel: Channel) -> Actor:
    return Actor(
        Role(staff.role),
        staff.name,
        channel,
        operator_id=staff.operator_id,
        scopes=frozenset(Scope(s) for s in staff.scopes or []),
    )


def _use_due(staff: Token, now: datetime) -> bool:
    return staff.last_used_at is None or now - staff.last_used_at >= LAST_USED_EVERY


def touch(session: Session, staff: Token, now: datetime) -> None:
    """Record the token's use at most once a minute. The write is committed at once when the
    caller has changed nothing yet (a token is checked first thing), so read-only calls count."""
    if not _use_due(staff, now):
        return
    if isinstance(staff, CachedToken):
        staff.last_used_at = now  # the row itself is written below, not through the session
    used = (
        update(models.ApiToken)
        .where(models.ApiToken.id == staff.id)
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    if reading_only(session):
        with write_apart(session):
            session.execute(used)
        return
    session.execute(used)
    if not (session.new or session.dirty or session.deleted):
        session.commit()


TOKEN_ROLES = (Role.AGENT, Role.REVIEWER, Role.SUPERVISOR, Role.ADMIN, Role.INTEGRATION)


def create_staff_token(
    session: Session,
    now: datetime,
    name: str,
    role: Role,
    operator_id: int | None = None,
    scopes: frozenset[Scope] = frozenset(),
    expires_in: timedelta | None = None,
) -> str:
    """A token for a person (agent, reviewer, supervisor, admin) or, with scopes, another system.

    It works until `expires_in` from now (the command line gives 90 days unless told otherwise)
    or until revoked; without `expires_in` only revocation ends it.

    Integration tokens must name at least one scope and do only what their scopes say; staff
    tokens carry no scopes (their role says what they may do).
    """
    if role not in TOKEN_ROLES:
        raise InvalidInput(
            "role must be agent, reviewer, supervisor, admin or integration", code="invalid_role"
        )
    if role is Role.INTEGRATION and not scopes:
        raise InvalidInput("an integration token needs at least one scope", code="scope_required")
    if role is not Role.INTEGRATION and scopes:
        raise InvalidInput("only integration tokens carry scopes", code="invalid_scope")
    if not name.strip():
        raise InvalidInput("give the token a name saying who holds it", code="invalid_name")
    if expires_in is not None and expires_in <= timedelta(0):
        raise InvalidInput("a token must expire in the future", code="invalid_expiry")
    token = new_token(STAFF_TOKEN_PREFIX)
    session.add(
        models.ApiToken(
            name=name.strip(),
            role=role.value,
            scopes=sorted(s.value for s in scopes),
            operator_id=operator_id,
            token_hash=token_digest(token),
            created_at=now,
            expires_at=now + expires_in if expires_in is not None else None,
            hint=token[:HINT_LENGTH],
        )
    )
    audit.append(
        session,
        now,
        "admin:cli",
        "token_created",
        "api_token",
        name,
        {
            "role": role.value,
            "scopes": sorted(s.value for s in scopes),
            "expires_in_seconds": int(expires_in.total_seconds()) if expires_in else None,
        },
    )
    return token


def revoke_staff_token(session: Session, now: datetime, token_id: int, by: str) -> str:
    """Refuse the token from now on, and sign out every console session opened with it."""
    staff = session.get(models.ApiToken, token_id)
    if staff is None:
        raise NotFound(f"no staff token {token_id}", code="unknown_token")
    if staff.revoked_at is None:
        token_cache.forget_on_revocation(session)
        staff.revoked_at = now
        session.execute(
            update(models.StaffSession)
            .where(
                models.StaffSession.token_id == token_id, models.StaffSession.revoked_at.is_(None)
            )
            .values(revoked_at=now)
        )
        audit.append(session, now, by, "token_revoked", "api_token", staff.name, {"id": token_id})
    return staff.name
