"""One-time codes to the line (or, for a lost line, to the holder's e-mail): sending and checking."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.domain.facts import IdentityMethod, LineStatus
from lineclose.domain.identifiers import mask_contact, mask_msisdn
from lineclose.errors import ChallengeFailed, Forbidden, InvalidInput, RateLimited, TooManyAttempts
from lineclose.security.otp_mac import otp_code_mac, otp_code_matches
from lineclose.security.secrets_hashing import new_numeric_code
from lineclose.services import ratelimits
from lineclose.services.context import Deps
from lineclose.services.identity.sessions import open_session
from lineclose.services.language import line_locale
from lineclose.services.lines import (
    line_by_msisdn,
    resolve_msisdn,
)
from lineclose.services.notices import enqueue_email, enqueue_sms

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
    refused and must go through a store with an ID document. An unknown or closed number gets
    the same answer as a line in service, and no code.
    """
    if purpose not in PURPOSES:
        raise InvalidInput("purpose must be sign_in or password_reset", code="invalid_purpose")
    msisdn = resolve_msisdn(session, raw_msisdn)
    for limit in ratelimits.otp_limits(deps):
        ratelimits.consume(session, deps, limit, msisdn)
    line = line_by_msisdn(session, msisdn)
    if line is None or line.status == LineStatus.CLOSED:
        return _decoy(deps, msisdn)
    ensure_not_locked(session, deps, line)
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
        code_hash=otp_code_mac(deps.vault, code, salt),
        salt=salt,
        attempts=0,
        max_attempts=deps.settings.otp_max_attempts,
        expires_at=now + timedelta(seconds=deps.settings.otp_ttl_seconds),
        created_at=now,
    )
    session.add(challenge)
    session.flush()
    send = enqueue_email if alternate else enqueue_sms
    send(
        session,
        deps,
        key=f"otp:{challenge.public_id}",
        to=alternate or line.msisdn,
        notice="otp_sms",
        locale=line_locale(line),
        values={
            "operator": line.operator.name,
            "code": code,
            "minutes": deps.settings.otp_ttl_seconds // 60,
            "reference": mask_msisdn(line.msisdn),  # the e-mail subject names the line, masked
        },
    )
    shown = mask_contact(alternate) if alternate else mask_msisdn(line.msisdn)
    return ChallengeStarted(challenge.public_id, challenge.expires_at, shown)


def _decoy(deps: Deps, msisdn: str) -> ChallengeStarted:
    """The answer for a number with no line that can take a code, shaped like a real one and
    sending nothing: whether a number is in service is not told to whoever asks. Its challenge
    id matches no challenge, so verifying it fails as an expired code does."""
    expires_at = deps.clock.now() + timedelta(seconds=deps.settings.otp_ttl_seconds)
    return ChallengeStarted(secrets.token_urlsafe(16), expires_at, mask_msisdn(msisdn))


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


def spend_code(
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
    if not otp_code_matches(deps.vault, challenge.code_hash, code, challenge.salt):
        count_failure(session, deps, line, "otp")
        return None, ChallengeFailed("the code is wrong", code="code_invalid")
    challenge.consumed_at = now
    return challenge, None


def count_failure(session: Session, deps: Deps, line: models.Line, what: str) -> None:
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
    challenge, error = spend_code(
        session, deps, challenge_id, code, frozenset({SIGN_IN, SIGN_IN_ALTERNATE})
    )
    if error is not None or challenge is None:
        return VerifyOutcome(False, error=error)
    line = session.get(models.Line, challenge.line_id)
    assert line is not None
    method = (
        METHOD_OTP_ALTERNATE if challenge.purpose == SIGN_IN_ALTERNATE else IdentityMethod.OTP.value
    )
    token, expires_at = open_session(session, deps, line, method)
    return VerifyOutcome(True, token, expires_at)
