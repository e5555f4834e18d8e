"""The subscriber's service password: set, change, reset with a code and ID number, reset in store."""

from __future__ import annotations

from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.domain.facts import IdentityMethod
from lineclose.errors import ChallengeFailed, Forbidden, InvalidInput
from lineclose.security.secrets_hashing import hash_password, verify_password
from lineclose.services.context import Actor, Channel, Deps, Role
from lineclose.services.identity import lockout
from lineclose.services.identity.evidence import id_number_matches
from lineclose.services.identity.otp import PASSWORD_RESET, CodeError, count_failure, spend_code
from lineclose.services.identity.sessions import revoke_sessions
from lineclose.services.lines import find_line, profile_of


def check_new_password(new_password: str) -> None:
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
    check_new_password(new_password)
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
    check_new_password(new_password)
    challenge, error = spend_code(session, deps, challenge_id, code, frozenset({PASSWORD_RESET}))
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
    lockout.ensure_not_locked(session, deps, line.id, None)
    if not id_number_matches(
        deps, line.subscriber, id_number, profile.id_scheme, profile.id_last_six_allowed, now
    ):
        count_failure(session, deps, line, "id_number")
        lockout.count_failure(
            session, deps, line.id, IdentityMethod.ID_NUMBER, None, Channel.ONLINE.value
        )
        return ChallengeFailed(
            "the ID number does not match the holder's", code="identity_check_failed"
        )
    line.subscriber.service_password_hash = hash_password(new_password)
    revoke_sessions(session, now, line.subscriber_id)
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
    check_new_password(new_password)
    line = find_line(session, raw_msisdn)
    if actor.operator_id is not None and actor.operator_id != line.operator_id:
        raise Forbidden("this line belongs to another operator", code="other_operator")
    now = deps.clock.now()
    line.subscriber.service_password_hash = hash_password(new_password)
    revoke_sessions(session, now, line.subscriber_id)
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
