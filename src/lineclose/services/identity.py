"""Proving who asks: one-time codes to the line, service passwords, ID numbers, documents seen by staff."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.domain.facts import IdentityMethod
from lineclose.domain.identifiers import (
    InvalidIdentifier,
    mask_contact,
    mask_msisdn,
    normalize_id_number,
)
from lineclose.errors import (
    ChallengeFailed,
    Forbidden,
    InvalidInput,
    RateLimited,
    TooManyAttempts,
    Unauthenticated,
)
from lineclose.security.secrets_hashing import (
    code_digest,
    hash_password,
    new_numeric_code,
    new_token,
    same,
    token_digest,
    verify_password,
)
from lineclose.services import ratelimits
from lineclose.services.context import Actor, Channel, Deps, Role, Scope
from lineclose.services.lines import find_line, parse_msisdn, profile_of
from lineclose.services.notices import enqueue_email, enqueue_sms

SUBSCRIBER_TOKEN_PREFIX = "lcu"
STAFF_TOKEN_PREFIX = "lcs"

SIGN_IN = "sign_in"
PASSWORD_RESET = "password_reset"
# A code sent to the alternate contact of a lost line signs the subscriber in to look, never to
# prove ownership of the line: whoever holds the lost SIM may also hold that mailbox's phone.
SIGN_IN_ALTERNATE = "sign_in_alternate"
METHOD_OTP_ALTERNATE = "otp_alternate"
PURPOSES = frozenset({SIGN_IN, PASSWORD_RESET})


@dataclass(frozen=True)
class ChallengeStarted:
    challenge_id: str
    expires_at: datetime
    sent_to: str


def start_otp(
    session: Session, deps: Deps, raw_msisdn: str, purpose: str = SIGN_IN
) -> ChallengeStarted:
    """Send a one-time code for signing in or resetting the service password.

    Rules: at most one code a minute and a few an hour per line, counted even when the number
    is unknown; none while the line is locked after repeated wrong codes; a closed line gets
    none. A line reported lost gets none on the line itself (its SIM may be in other hands):
    sign-in goes to the holder's e-mail on file and only lets them look; a password reset is
    refused and must go through a store with an ID document.
    """
    if purpose not in PURPOSES:
        raise InvalidInput("purpose must be sign_in or password_reset", code="invalid_purpose")
    msisdn = parse_msisdn(raw_msisdn)
    for limit in ratelimits.otp_limits(deps):
        ratelimits.consume(session, deps, limit, msisdn)
    line = find_line(session, msisdn)
    ensure_not_locked(session, deps, line)
    if line.status == "closed":
        raise InvalidInput("this line is closed and cannot receive codes", code="line_closed")
    alternate = None
    if line.lost_reported:
        email_enc = line.subscriber.email_enc
        if purpose != SIGN_IN or not email_enc:
            raise Forbidden(
                "this line is reported lost: verify in a store with an ID document",
                code="line_reported_lost",
            )
        alternate = deps.vault.decrypt(email_enc)
    now = deps.clock.now()
    code = new_numeric_code()
    salt = secrets.token_hex(8)
    challenge = models.OtpChallenge(
        public_id=secrets.token_urlsafe(16),
        line_id=line.id,
        purpose=SIGN_IN_ALTERNATE if alternate else purpose,
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
    send = enqueue_email if alternate else enqueue_sms
    send(
        session,
        deps,
        key=f"otp:{challenge.public_id}",
        to=alternate or line.msisdn,
        notice="otp_sms",
        locale=profile.locale,
        values={
            "operator": line.operator.name,
            "code": code,
            "minutes": deps.settings.otp_ttl_seconds // 60,
            "reference": mask_msisdn(line.msisdn),  # the e-mail subject names the line, masked
        },
    )
    shown = mask_contact(alternate) if alternate else mask_msisdn(line.msisdn)
    return ChallengeStarted(challenge.public_id, challenge.expires_at, shown)


def ensure_not_locked(session: Session, deps: Deps, line: models.Line) -> None:
    """A line with too many wrong codes (across all its challenges) is locked for a while."""
    ratelimits.ensure_not_exhausted(
        session, deps, ratelimits.otp_failures(deps), str(line.id), code="line_locked"
    )


@dataclass(frozen=True)
class VerifyOutcome:
    ok: bool
    token: str | None = None
    expires_at: datetime | None = None
    error: ChallengeFailed | TooManyAttempts | RateLimited | None = None


CodeError = ChallengeFailed | TooManyAttempts | RateLimited


def _spend_code(
    session: Session, deps: Deps, challenge_id: str, code: str, purposes: frozenset[str]
) -> tuple[models.OtpChallenge | None, CodeError | None]:
    """Check a code and consume its challenge; a wrong code counts against the line's lock-out."""
    now = deps.clock.now()
    challenge = session.execute(
        select(models.OtpChallenge).where(models.OtpChallenge.public_id == challenge_id)
    ).scalar_one_or_none()
    if (
        challenge is None
        or challenge.purpose not in purposes
        or challenge.consumed_at is not None
        or challenge.expires_at <= now
    ):
        return None, ChallengeFailed(
            "the code has expired or was used: ask for a new one", code="code_expired"
        )
    line = session.get(models.Line, challenge.line_id)
    assert line is not None
    try:
        ensure_not_locked(session, deps, line)
    except RateLimited as locked:
        return None, locked
    if challenge.attempts >= challenge.max_attempts:
        return None, TooManyAttempts("too many wrong codes: ask for a new one")
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
        return None, TooManyAttempts("too many wrong codes: ask for a new one")
    if not same(challenge.code_hash, code_digest(code.strip(), challenge.salt)):
        _count_failure(session, deps, line, "otp")
        return None, ChallengeFailed("the code is wrong", code="code_invalid")
    challenge.consumed_at = now
    return challenge, None


def _count_failure(session: Session, deps: Deps, line: models.Line, what: str) -> None:
    failures = ratelimits.record_in_transaction(
        session, deps, ratelimits.otp_failures(deps), str(line.id)
    )
    if failures == deps.settings.otp_lockout_failures:
        audit.append(
            session,
            deps.clock.now(),
            "system:lineclose",
            "sign_in.locked",
            "line",
            str(line.id),
            {"failures": failures, "last": what},
        )


def verify_otp(session: Session, deps: Deps, challenge_id: str, code: str) -> VerifyOutcome:
    """Check a sign-in code. Failures are returned, not raised, so the caller commits the spent attempt.

    A code that went to the alternate contact of a lost line opens a session that can look but
    does not count as a code to the line (no closure by code alone for a lost line).
    """
    now = deps.clock.now()
    challenge, error = _spend_code(
        session, deps, challenge_id, code, frozenset({SIGN_IN, SIGN_IN_ALTERNATE})
    )
    if error is not None or challenge is None:
        return VerifyOutcome(False, error=error)
    line = session.get(models.Line, challenge.line_id)
    assert line is not None
    method = (
        METHOD_OTP_ALTERNATE if challenge.purpose == SIGN_IN_ALTERNATE else IdentityMethod.OTP.value
    )
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
    return VerifyOutcome(True, token, expires_at)


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


def _revoke_sessions(session: Session, now: datetime, subscriber_id: int) -> None:
    session.execute(
        update(models.SubscriberSession)
        .where(
            models.SubscriberSession.subscriber_id == subscriber_id,
            models.SubscriberSession.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )


def _check_new_password(new_password: str) -> None:
    """6 to 64 characters, not one repeated character and not a plain run such as 123456."""
    value = new_password.strip()
    if not 6 <= len(value) <= 64 or value != new_password:
        raise InvalidInput(
            "the service password must be 6 to 64 characters, without leading or trailing spaces",
            code="weak_password",
            field="new_password",
        )
    runs = ("0123456789", "9876543210")
    if len(set(value)) == 1 or any(value in r for r in runs):
        raise InvalidInput(
            "the service password is too easy to guess: avoid repeated digits and runs",
            code="weak_password",
            field="new_password",
        )


def set_service_password(
    session: Session, deps: Deps, actor: Actor, current: str | None, new_password: str
) -> None:
    """Set or change the signed-in subscriber's service password (stored as an argon2 hash).

    Changing an existing password needs the current one; setting the first one needs a session
    signed in with a code to the line itself. Sessions stay signed in: they were opened by a
    code to the line, which the password does not protect; a reset signs them all out.
    """
    if actor.role is not Role.SUBSCRIBER or actor.subscriber_id is None:
        raise Forbidden("only the subscriber can set their service password", code="forbidden")
    subscriber = session.get(models.Subscriber, actor.subscriber_id)
    assert subscriber is not None
    _check_new_password(new_password)
    if subscriber.service_password_hash:
        if not current or not verify_password(subscriber.service_password_hash, current):
            raise ChallengeFailed(
                "the current service password does not match", code="identity_check_failed"
            )
    elif actor.verified_line_id is None:
        raise Forbidden(
            "sign in with a code sent to the line itself to set a first service password",
            code="line_code_required",
        )
    now = deps.clock.now()
    subscriber.service_password_hash = hash_password(new_password)
    audit.append(
        session,
        now,
        actor.label,
        "service_password.changed" if current else "service_password.set",
        "subscriber",
        str(subscriber.id),
        {"channel": actor.channel.value},
    )


def reset_password_with_code(
    session: Session,
    deps: Deps,
    challenge_id: str,
    code: str,
    id_number: str,
    new_password: str,
) -> CodeError | None:
    """Forgotten password: a code sent to the line plus the holder's ID number (in full, or its
    last six characters where the profile allows). A line reported lost is refused: the code
    alone proves only possession of a SIM that may be stolen; that reset happens in a store.

    A wrong ID number counts against the line's lock-out like a wrong code. Returns the refusal
    instead of raising it for code failures, so the caller commits the spent attempt.
    """
    _check_new_password(new_password)
    challenge, error = _spend_code(session, deps, challenge_id, code, frozenset({PASSWORD_RESET}))
    if error is not None or challenge is None:
        return error
    line = session.get(models.Line, challenge.line_id)
    assert line is not None
    if line.lost_reported:
        raise Forbidden(
            "this line is reported lost: reset the service password in a store with an ID document",
            code="line_reported_lost",
        )
    profile = profile_of(line.operator)
    now = deps.clock.now()
    if not _id_number_matches(
        deps, line.subscriber, id_number, profile.id_scheme, profile.id_last_six_allowed, now
    ):
        _count_failure(session, deps, line, "id_number")
        return ChallengeFailed(
            "the ID number does not match the holder's", code="identity_check_failed"
        )
    line.subscriber.service_password_hash = hash_password(new_password)
    _revoke_sessions(session, now, line.subscriber_id)
    audit.append(
        session,
        now,
        f"subscriber:{line.subscriber_id}",
        "service_password.reset",
        "subscriber",
        str(line.subscriber_id),
        {"methods": [IdentityMethod.OTP.value, IdentityMethod.ID_NUMBER.value]},
    )
    return None


def reset_password_in_store(
    session: Session,
    deps: Deps,
    actor: Actor,
    raw_msisdn: str,
    id_document_seen: bool,
    document_kind: str,
    new_password: str,
) -> None:
    """The store path (the only one for a line reported lost): an agent looked at the holder's
    ID document and records that they did; the holder types the new password."""
    if actor.role not in (Role.AGENT, Role.ADMIN):
        raise Forbidden("only store staff can reset a password in store", code="staff_only")
    if not id_document_seen:
        raise InvalidInput(
            "look at the holder's ID document and confirm id_document_seen",
            code="id_document_required",
            field="id_document_seen",
        )
    kind = document_kind.strip()[:40]
    if not kind:
        raise InvalidInput(
            "say which document was seen", code="document_kind_required", field="document_kind"
        )
    _check_new_password(new_password)
    line = find_line(session, raw_msisdn)
    if actor.operator_id is not None and actor.operator_id != line.operator_id:
        raise Forbidden("this line belongs to another operator", code="other_operator")
    now = deps.clock.now()
    line.subscriber.service_password_hash = hash_password(new_password)
    _revoke_sessions(session, now, line.subscriber_id)
    audit.append(
        session,
        now,
        actor.label,
        "service_password.reset",
        "subscriber",
        str(line.subscriber_id),
        {
            "methods": [IdentityMethod.ID_DOCUMENT_SEEN.value],
            "document_kind": kind,
            "channel": Channel.STORE.value,
            "line_reported_lost": line.lost_reported,
        },
    )


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
