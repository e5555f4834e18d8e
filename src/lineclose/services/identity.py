"""Proving who asks: one-time codes to the line, service passwords, ID numbers, documents seen by staff."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.domain.facts import IdentityMethod
from lineclose.domain.identifiers import InvalidIdentifier, mask_msisdn, normalize_id_number
from lineclose.errors import (
    ChallengeFailed,
    Forbidden,
    InvalidInput,
    TooManyAttempts,
    Unauthenticated,
)
from lineclose.security.secrets_hashing import (
    code_digest,
    new_numeric_code,
    new_token,
    same,
    token_digest,
    verify_password,
)
from lineclose.services.context import Actor, Channel, Deps, Role
from lineclose.services.lines import find_line, profile_of
from lineclose.services.notices import enqueue_sms

SUBSCRIBER_TOKEN_PREFIX = "lcu"
STAFF_TOKEN_PREFIX = "lcs"


@dataclass(frozen=True)
class ChallengeStarted:
    challenge_id: str
    expires_at: datetime
    sent_to: str


def start_otp(
    session: Session, deps: Deps, raw_msisdn: str, purpose: str = "sign_in"
) -> ChallengeStarted:
    """Send a one-time code to the line itself. A line reported lost gets none: its SIM may be in other hands."""
    line = find_line(session, raw_msisdn)
    if line.status == "closed":
        raise InvalidInput("this line is closed and cannot receive codes", code="line_closed")
    if line.lost_reported:
        raise Forbidden(
            "this line is reported lost: verify in a store with an ID document",
            code="line_reported_lost",
        )
    now = deps.clock.now()
    code = new_numeric_code()
    salt = secrets.token_hex(8)
    challenge = models.OtpChallenge(
        public_id=secrets.token_urlsafe(16),
        line_id=line.id,
        purpose=purpose,
        code_hash=code_digest(code, salt),
        salt=salt,
        attempts=0,
        max_attempts=deps.settings.otp_max_attempts,
        expires_at=now + timedelta(seconds=deps.settings.otp_ttl_seconds),
        created_at=now,
    )
    session.add(challenge)
    session.flush()
    profile = profile_of(line.operator)
    enqueue_sms(
        session,
        deps,
        key=f"otp:{challenge.public_id}",
        to=line.msisdn,
        notice="otp_sms",
        locale=profile.locale,
        values={
            "operator": line.operator.name,
            "code": code,
            "minutes": deps.settings.otp_ttl_seconds // 60,
        },
    )
    return ChallengeStarted(challenge.public_id, challenge.expires_at, mask_msisdn(line.msisdn))


@dataclass(frozen=True)
class VerifyOutcome:
    ok: bool
    token: str | None = None
    expires_at: datetime | None = None
    error: ChallengeFailed | TooManyAttempts | None = None


def verify_otp(session: Session, deps: Deps, challenge_id: str, code: str) -> VerifyOutcome:
    """Check a code. Failures are returned, not raised, so the caller commits the spent attempt."""
    now = deps.clock.now()
    challenge = session.execute(
        select(models.OtpChallenge).where(models.OtpChallenge.public_id == challenge_id)
    ).scalar_one_or_none()
    if challenge is None or challenge.consumed_at is not None or challenge.expires_at <= now:
        return VerifyOutcome(
            False,
            error=ChallengeFailed(
                "the code has expired or was used: ask for a new one", code="code_expired"
            ),
        )
    if challenge.attempts >= challenge.max_attempts:
        return VerifyOutcome(
            False, error=TooManyAttempts("too many wrong codes: ask for a new one")
        )
    # Count the attempt in the database before comparing, so parallel guesses cannot exceed the limit.
    spent = session.execute(
        update(models.OtpChallenge)
        .where(
            models.OtpChallenge.id == challenge.id,
            models.OtpChallenge.attempts < models.OtpChallenge.max_attempts,
        )
        .values(attempts=models.OtpChallenge.attempts + 1)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        return VerifyOutcome(
            False, error=TooManyAttempts("too many wrong codes: ask for a new one")
        )
    if not same(challenge.code_hash, code_digest(code.strip(), challenge.salt)):
        return VerifyOutcome(False, error=ChallengeFailed("the code is wrong", code="code_invalid"))
    challenge.consumed_at = now
    line = session.get(models.Line, challenge.line_id)
    assert line is not None
    token = new_token(SUBSCRIBER_TOKEN_PREFIX)
    expires_at = now + timedelta(seconds=deps.settings.session_ttl_seconds)
    session.add(
        models.SubscriberSession(
            token_hash=token_digest(token),
            subscriber_id=line.subscriber_id,
            line_id=line.id,
            method=IdentityMethod.OTP.value,
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
        {"method": "otp"},
    )
    return VerifyOutcome(True, token, expires_at)


def actor_from_token(session: Session, deps: Deps, token: str, channel: Channel) -> Actor:
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
            verified_line_id=found.line_id,
        )
    if token.startswith(STAFF_TOKEN_PREFIX + "_"):
        staff = session.execute(
            select(models.ApiToken).where(models.ApiToken.token_hash == digest)
        ).scalar_one_or_none()
        if staff is None or staff.revoked_at is not None:
            raise Unauthenticated("this staff token is unknown or revoked")
        return Actor(Role(staff.role), staff.name, channel, operator_id=staff.operator_id)
    raise Unauthenticated("the bearer token is not a Lineclose token")


def create_staff_token(
    session: Session, now: datetime, name: str, role: Role, operator_id: int | None = None
) -> str:
    if role not in (Role.AGENT, Role.REVIEWER, Role.ADMIN):
        raise InvalidInput("role must be agent, reviewer or admin", code="invalid_role")
    if not name.strip():
        raise InvalidInput("give the token a name saying who holds it", code="invalid_name")
    token = new_token(STAFF_TOKEN_PREFIX)
    session.add(
        models.ApiToken(
            name=name.strip(),
            role=role.value,
            operator_id=operator_id,
            token_hash=token_digest(token),
            created_at=now,
        )
    )
    audit.append(
        session, now, "admin:cli", "token_created", "api_token", name, {"role": role.value}
    )
    return token


@dataclass(frozen=True)
class IdentityEvidence:
    method: IdentityMethod
    value: str | None = None


def verify_evidence(
    session: Session, deps: Deps, actor: Actor, line: models.Line, evidence: list[IdentityEvidence]
) -> frozenset[IdentityMethod]:
    """Turn what the requester showed into verified methods; any wrong evidence refuses the call."""
    methods: set[IdentityMethod] = set()
    if actor.role is Role.SUBSCRIBER and actor.verified_line_id == line.id:
        methods.add(IdentityMethod.OTP)
    subscriber = line.subscriber
    profile = profile_of(line.operator)
    for item in evidence:
        if item.method is IdentityMethod.OTP:
            continue  # proven only by a session signed in with a code to this line
        if item.method is IdentityMethod.ID_DOCUMENT_SEEN:
            if actor.role is not Role.AGENT and actor.role is not Role.ADMIN:
                raise Forbidden(
                    "only store or hotline staff can record a document check", code="staff_only"
                )
            methods.add(item.method)
        elif item.method is IdentityMethod.SERVICE_PASSWORD:
            stored = subscriber.service_password_hash
            if not item.value or not stored or not verify_password(stored, item.value):
                raise ChallengeFailed(
                    "the service password does not match", code="identity_check_failed"
                )
            methods.add(item.method)
        elif item.method is IdentityMethod.ID_NUMBER:
            if not item.value or not _id_number_matches(
                deps,
                subscriber,
                item.value,
                profile.id_scheme,
                profile.id_last_six_allowed,
                deps.clock.now(),
            ):
                raise ChallengeFailed(
                    "the ID number does not match the holder's", code="identity_check_failed"
                )
            methods.add(item.method)
    return frozenset(methods)


def _id_number_matches(
    deps: Deps,
    subscriber: models.Subscriber,
    given: str,
    scheme: str,
    last_six_allowed: bool,
    now: datetime,
) -> bool:
    compact = "".join(given.split()).upper()
    if last_six_allowed and len(compact) == 6 and subscriber.id_number_enc:
        return same(deps.vault.decrypt(subscriber.id_number_enc)[-6:], compact)
    try:
        normalized = normalize_id_number(compact, scheme, now.date())
    except InvalidIdentifier:
        return False
    return subscriber.id_number_index == deps.vault.blind_index(normalized.value)
