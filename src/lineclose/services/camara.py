"""CAMARA Number Recycling v0.2: has the subscriber of a number changed since a date?

Answers in CAMARA's own terms (status, code, message). The subject comes from the token when
the token is three-legged (a subscriber's session: its line's number) and from `phoneNumber`
when it is two-legged (staff, or another system holding the `number-recycling:check` scope).
A caller bound to an operator learns only about that operator's numbers: any other number is
`404 IDENTIFIER_NOT_FOUND`, exactly as a number that does not exist, so nothing leaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.domain.aging import NumberState
from lineclose.domain.facts import LineKind, LineStatus
from lineclose.domain.profiles import profile_for
from lineclose.domain.reassigned import RECORDS_SINCE, Reassigned, reassigned
from lineclose.errors import LinecloseError, Unauthenticated
from lineclose.security.secrets_hashing import token_digest
from lineclose.services.context import Actor, Channel, Deps, Role, Scope
from lineclose.services.identity import SUBSCRIBER_TOKEN_PREFIX, actor_from_token
from lineclose.services.lines import local_today
from lineclose.services.reassigned import E164

# The last calendar day has begun somewhere on Earth when UTC+14 reaches it.
EARLIEST_OFFSET = timedelta(hours=14)


class CamaraRefusal(LinecloseError):
    """A refusal in one of the codes the CAMARA specification documents for this API."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message, code=code)
        self.status = status


def unauthenticated() -> CamaraRefusal:
    return CamaraRefusal(
        401,
        "UNAUTHENTICATED",
        "Request not authenticated due to missing, invalid, or expired credentials.",
    )


def invalid_argument(message: str) -> CamaraRefusal:
    return CamaraRefusal(400, "INVALID_ARGUMENT", message)


@dataclass(frozen=True)
class Caller:
    actor: Actor
    subject: str | None  # the number a three-legged token identifies


def caller_from_token(session: Session, deps: Deps, authorization: str | None) -> Caller:
    """Authenticate (401) and authorize (403) the caller; a subscriber session is three-legged."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise unauthenticated()
    try:
        actor = actor_from_token(session, deps, token, Channel.API)
    except Unauthenticated:
        raise unauthenticated() from None
    if actor.role is Role.SUBSCRIBER and token.startswith(SUBSCRIBER_TOKEN_PREFIX + "_"):
        line = session.execute(
            select(models.Line)
            .join(models.SubscriberSession, models.SubscriberSession.line_id == models.Line.id)
            .where(models.SubscriberSession.token_hash == token_digest(token))
        ).scalar_one()
        return Caller(actor, line.msisdn)
    allowed = actor.is_staff or (
        actor.role is Role.INTEGRATION and Scope.NUMBER_RECYCLING_CHECK in actor.scopes
    )
    if not allowed:
        raise CamaraRefusal(
            403,
            "PERMISSION_DENIED",
            "Client does not have sufficient permissions to perform this action",
        )
    return Caller(actor, None)


def subject_of(caller: Caller, phone_number: str | None) -> str:
    """The spec's identifier rules: exactly one of the token and `phoneNumber` names the number."""
    if caller.subject is not None:
        if phone_number is not None:
            raise CamaraRefusal(
                422,
                "UNNECESSARY_IDENTIFIER",
                "The phone number is already identified by the access token",
            )
        return caller.subject
    if phone_number is None:
        raise CamaraRefusal(422, "MISSING_IDENTIFIER", "The phone number cannot be identified")
    if not E164.match(phone_number):
        raise invalid_argument("phoneNumber must be E.164: '+' followed by 5 to 15 digits")
    return phone_number


def _not_found() -> CamaraRefusal:
    return CamaraRefusal(404, "IDENTIFIER_NOT_FOUND", "Phone number not found.")


def _subject_facts(msisdn: str) -> Select[Any]:
    """Everything one check needs, in one statement: the number and its operator's profile,
    the kind of the line in service with it (the one `line_by_msisdn` picks when one is in
    service; a closed line never makes the service inapplicable) and its latest disconnection
    (the number's own operator's, as `latest_disconnection` reads it)."""
    in_service = (
        select(models.Line.kind)
        .where(models.Line.msisdn == msisdn, models.Line.status != LineStatus.CLOSED.value)
        .order_by(models.Line.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    latest = (
        select(func.max(models.Disconnection.disconnected_on))
        .where(models.Disconnection.msisdn == msisdn)
        .scalar_subquery()
    )
    return (
        select(
            models.Number.operator_id,
            models.Number.state,
            models.Operator.profile,
            models.Operator.profile_overrides,
            in_service.label("line_kind"),
            latest.label("latest"),
        )
        .join(models.Operator, models.Operator.id == models.Number.operator_id)
        .where(models.Number.msisdn == msisdn)
    )


def check(
    session: Session, deps: Deps, caller: Caller, phone_number: str | None, specified: date
) -> bool:
    """True when the number was permanently disconnected on or after `specified` (its
    subscriber changed); refused with OUT_OF_RANGE for a date in the future or one before the
    records begin when nothing after it is known (the rule's `no data`)."""
    msisdn = subject_of(caller, phone_number)
    if specified > (deps.clock.now() + EARLIEST_OFFSET).date():
        raise CamaraRefusal(400, "OUT_OF_RANGE", "specifiedDate must not be in the future")
    found = session.execute(_subject_facts(msisdn)).first()
    operator_id = caller.actor.operator_id
    if found is None or (operator_id is not None and found.operator_id != operator_id):
        raise _not_found()
    if found.state == NumberState.PORTED_OUT.value:
        raise _not_found()  # the number is now served by another network
    if found.line_kind == LineKind.DATA_ONLY.value:
        raise CamaraRefusal(
            422,
            "SERVICE_NOT_APPLICABLE",
            "The service is not available for the provided phone number",
        )
    profile = profile_for(found.profile, found.profile_overrides or None)
    if specified > local_today(profile, deps.clock.now()):
        raise CamaraRefusal(400, "OUT_OF_RANGE", "specifiedDate must not be in the future")
    answer = reassigned(found.latest, specified)
    if answer is Reassigned.NO_DATA:
        raise CamaraRefusal(
            400,
            "OUT_OF_RANGE",
            f"specifiedDate is before the records begin ({RECORDS_SINCE.isoformat()})",
        )
    return answer is Reassigned.YES
