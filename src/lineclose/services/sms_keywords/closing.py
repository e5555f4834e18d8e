"""CLOSE by SMS: a closure request started from the line itself, confirmed by a code.

A text from the line is recorded as identity evidence `sms_origin`. Where the profile (or the
operator) accepts it alone, it counts as the requester's identity; elsewhere the reply carries
a one-time code and `CLOSE <code>` sent back from the line proves possession (the code reached
the line and came back from it), which counts as `otp`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.domain.facts import IdentityMethod
from lineclose.domain.identifiers import mask_msisdn
from lineclose.domain.states import RequestState
from lineclose.errors import LinecloseError
from lineclose.security.secrets_hashing import code_digest, new_numeric_code, same
from lineclose.services import closure
from lineclose.services.context import Actor, Channel, Deps, Role
from lineclose.services.notices import SEND_SMS
from lineclose.services.sms_keywords.channel import ServedText

CONFIRM_PURPOSE = "sms_close"
# The reply to the text says all these notices say, and more: they are withdrawn before commit.
SUPERSEDED_NOTICES = ("needs_action", "request_received")
_DONE = (RequestState.CLOSED.value, RequestState.WITHDRAWN.value)
_RESUBMITTABLE = (RequestState.NEEDS_ACTION.value, RequestState.REJECTED.value)


@dataclass(frozen=True)
class CloseOutcome:
    request: models.ClosureRequest | None
    code: str | None = None  # a confirmation code to send, when identity is still missing
    error: str | None = None  # the refusal's code when no request could be started
    confirmed: bool = False


def sms_actor(line: models.Line, verified: bool) -> Actor:
    """The subscriber texting from the line; `verified` once a code came back from it."""
    return Actor(
        Role.SUBSCRIBER,
        f"sms:{mask_msisdn(line.msisdn)}",
        Channel.SMS,
        subscriber_id=line.subscriber_id,
        verified_line_id=line.id if verified else None,
        operator_id=line.operator_id,
    )


def open_request(session: Session, line: models.Line) -> models.ClosureRequest | None:
    return session.execute(
        select(models.ClosureRequest).where(
            models.ClosureRequest.line_id == line.id,
            models.ClosureRequest.status.notin_(_DONE),
        )
    ).scalar_one_or_none()


def _identity_missing(request: models.ClosureRequest) -> bool:
    return request.status in _RESUBMITTABLE and any(
        b.get("code") == "IDENTITY_NOT_VERIFIED" for b in request.blockers or []
    )


def withdraw_superseded_notices(
    session: Session,
    request: models.ClosureRequest,
    since: datetime,
    notices: tuple[str, ...] = SUPERSEDED_NOTICES,
) -> None:
    """One text in, one reply out: the generic notices this text's own submission queued (not
    yet committed, so never sent) give way to the reply. A fleet batch withdraws `notices` of
    its own."""
    rows = session.execute(
        select(models.OutboxRow).where(
            models.OutboxRow.request_id == request.id,
            models.OutboxRow.step == SEND_SMS,
            models.OutboxRow.status == "pending",
            models.OutboxRow.created_at >= since,
        )
    ).scalars()
    ids = [r.id for r in rows if r.payload.get("notice") in notices]
    if ids:
        session.execute(delete(models.OutboxRow).where(models.OutboxRow.id.in_(ids)))


def _new_code(session: Session, deps: Deps, line: models.Line) -> str:
    now = deps.clock.now()
    code = new_numeric_code()
    salt = secrets.token_hex(8)
    session.add(
        models.OtpChallenge(
            public_id=secrets.token_urlsafe(16),
            line_id=line.id,
            purpose=CONFIRM_PURPOSE,
            code_hash=code_digest(code, salt),
            salt=salt,
            attempts=0,
            max_attempts=deps.settings.otp_max_attempts,
            expires_at=now + timedelta(seconds=deps.settings.otp_ttl_seconds),
            created_at=now,
        )
    )
    session.flush()
    return code


def _record_evidence(
    session: Session, deps: Deps, request: models.ClosureRequest, accepted: bool
) -> None:
    audit.append(
        session,
        deps.clock.now(),
        sms_actor(request.line, False).label,
        "request.identity_evidence",
        "closure_request",
        request.reference,
        {"method": IdentityMethod.SMS_ORIGIN.value, "accepted_alone": accepted},
    )


def start(session: Session, deps: Deps, served: ServedText) -> CloseOutcome:
    """Start (or find) the line's closure request. A refusal (a refund account is needed, say)
    rolls back only the closure, never the record of the text."""
    line = served.line
    request = open_request(session, line)
    if request is None:
        try:
            with session.begin_nested():
                request = _submit(session, deps, served)
        except LinecloseError as exc:
            return CloseOutcome(None, error=exc.code)
    code = _new_code(session, deps, line) if _identity_missing(request) else None
    return CloseOutcome(request, code=code)


def _submit(session: Session, deps: Deps, served: ServedText) -> models.ClosureRequest:
    actor = sms_actor(served.line, False)
    since = deps.clock.now()
    request = closure.submit(
        session, deps, actor, served.line.msisdn, closure.ClosureInput()
    ).request
    _record_evidence(session, deps, request, served.sms_origin_accepted)
    if served.sms_origin_accepted and _identity_missing(request):
        request.identity_methods = sorted(
            {*request.identity_methods, IdentityMethod.SMS_ORIGIN.value}
        )
        closure.resubmit(session, deps, actor, request.reference, closure.ClosureInput())
    withdraw_superseded_notices(session, request, since)
    return request


def confirm(session: Session, deps: Deps, served: ServedText, given: str) -> CloseOutcome:
    """`CLOSE <code>`: a code sent to this line, still valid and not used, confirms the request."""
    line = served.line
    now = deps.clock.now()
    challenge = session.execute(
        select(models.OtpChallenge)
        .where(
            models.OtpChallenge.line_id == line.id,
            models.OtpChallenge.purpose == CONFIRM_PURPOSE,
            models.OtpChallenge.consumed_at.is_(None),
        )
        .order_by(models.OtpChallenge.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    request = open_request(session, line)
    if (
        challenge is None
        or request is None
        or challenge.expires_at <= now
        or challenge.attempts >= challenge.max_attempts
    ):
        return CloseOutcome(request, error="code_expired")
    if not same(challenge.code_hash, code_digest(given.strip(), challenge.salt)):
        challenge.attempts += 1
        return CloseOutcome(request, error="code_wrong")
    challenge.consumed_at = now
    if request.status in _RESUBMITTABLE:
        try:
            with session.begin_nested():
                closure.resubmit(
                    session, deps, sms_actor(line, True), request.reference, closure.ClosureInput()
                )
                withdraw_superseded_notices(session, request, now)
        except LinecloseError as exc:
            return CloseOutcome(request, error=exc.code)
    audit.append(
        session,
        now,
        sms_actor(line, True).label,
        "request.confirmed_by_sms",
        "closure_request",
        request.reference,
        {"status": request.status},
    )
    return CloseOutcome(request, confirmed=True)
