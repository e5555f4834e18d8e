"""Bearer tokens: who holds a subscriber session or staff token, and issuing staff tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.domain.facts import IdentityMethod
from lineclose.errors import InvalidInput, Unauthenticated
from lineclose.security.secrets_hashing import new_token, token_digest
from lineclose.services.context import Actor, Channel, Deps, Role, Scope

SUBSCRIBER_TOKEN_PREFIX = "lcu"
STAFF_TOKEN_PREFIX = "lcs"


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
        staff = session.execute(
            select(models.ApiToken).where(models.ApiToken.token_hash == digest)
        ).scalar_one_or_none()
        if staff is None or staff.revoked_at is not None:
            raise Unauthenticated("this staff token is unknown or revoked")
        return Actor(
            Role(staff.role),
            staff.name,
            channel,
            operator_id=staff.operator_id,
            scopes=frozenset(Scope(s) for s in staff.scopes or []),
        )
    raise Unauthenticated("the bearer token is not a Lineclose token")


TOKEN_ROLES = (Role.AGENT, Role.REVIEWER, Role.SUPERVISOR, Role.ADMIN, Role.INTEGRATION)


def create_staff_token(
    session: Session,
    now: datetime,
    name: str,
    role: Role,
    operator_id: int | None = None,
    scopes: frozenset[Scope] = frozenset(),
) -> str:
    """A token for a person (agent, reviewer, supervisor, admin) or, with scopes, another system.

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
    token = new_token(STAFF_TOKEN_PREFIX)
    session.add(
        models.ApiToken(
            name=name.strip(),
            role=role.value,
            scopes=sorted(s.value for s in scopes),
            operator_id=operator_id,
            token_hash=token_digest(token),
            created_at=now,
        )
    )
    audit.append(
        session,
        now,
        "admin:cli",
        "token_created",
        "api_token",
        name,
        {"role": role.value, "scopes": sorted(s.value for s in scopes)},
    )
    return token
