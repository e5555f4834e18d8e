"""Signing in with a code to the line, signing out, and the service password."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Header, Response

from lineclose.services import identity
from lineclose.services import limiter as ratelimits
from lineclose.services.access import SUBSCRIBER, Action
from lineclose.services.context import Actor, Channel
from lineclose.web.api.deps import DepsDep, SessionDep, allow, limited, may, public
from lineclose.web.api.schemas import (
    AccessTokenOut,
    ChallengeOut,
    OtpIn,
    OtpVerifyIn,
    PasswordChangeIn,
    PasswordResetIn,
    PasswordResetStartIn,
    StorePasswordResetIn,
    problems,
)

router = APIRouter(prefix="/api/v1/auth", tags=["identity"])

SubscriberOnly = Annotated[Actor, allow(*SUBSCRIBER)]
StoreStaff = Annotated[Actor, may(Action.STORE_PASSWORD_RESET)]
SIGN_IN_LIMIT = limited(ratelimits.sign_in_per_client)


def _started(started: identity.ChallengeStarted) -> ChallengeOut:
    return ChallengeOut(
        challenge_id=started.challenge_id,
        expires_at=started.expires_at.isoformat(),
        sent_to=started.sent_to,
    )


@router.post(
    "/otp",
    status_code=202,
    response_model=ChallengeOut,
    responses=problems(403, 404, 422, 429),
    dependencies=[public("signing in starts here"), SIGN_IN_LIMIT],
)
def start_otp(body: OtpIn, session: SessionDep, deps: DepsDep) -> ChallengeOut:
    """Send a one-time code to the line; its answer is the challenge to verify.

    At most one code a minute and a few an hour per line (429 with Retry-After beyond).
    """
    started = identity.start_otp(session, deps, body.msisdn)
    session.commit()
    return _started(started)


@router.post(
    "/otp/verify",
    response_model=AccessTokenOut,
    responses=problems(400, 401, 404, 422, 429),
    dependencies=[public("signing in ends here"), SIGN_IN_LIMIT],
)
def verify_otp(body: OtpVerifyIn, session: SessionDep, deps: DepsDep) -> AccessTokenOut:
    outcome = identity.verify_otp(session, deps, body.challenge_id, body.code)
    session.commit()  # a wrong code still spends an attempt
    if outcome.error is not None:
        raise outcome.error
    assert outcome.token and outcome.expires_at
    return AccessTokenOut(
        access_token=outcome.token, token_type="bearer", expires_at=outcome.expires_at.isoformat()
    )


@router.post("/sign-out", status_code=204, response_class=Response, responses=problems(401, 403))
def sign_out(
    session: SessionDep,
    deps: DepsDep,
    actor: SubscriberOnly,
    authorization: Annotated[str, Header()],
) -> Response:
    """Revoke this session at once; the token is refused from then on."""
    identity.sign_out(session, deps, authorization.partition(" ")[2].strip())
    session.commit()
    return Response(status_code=204)


@router.put(
    "/password", status_code=204, response_class=Response, responses=problems(401, 403, 422)
)
def change_password(
    body: PasswordChangeIn, session: SessionDep, deps: DepsDep, actor: SubscriberOnly
) -> Response:
    """Set (the first, from a session signed in by a code to the line) or change the password."""
    identity.set_service_password(session, deps, actor, body.current_password, body.new_password)
    session.commit()
    return Response(status_code=204)


@router.post(
    "/password/reset/start",
    status_code=202,
    response_model=ChallengeOut,
    responses=problems(403, 404, 422, 429),
    dependencies=[public("a forgotten password cannot require a sign-in"), SIGN_IN_LIMIT],
)
def start_password_reset(
    body: PasswordResetStartIn, session: SessionDep, deps: DepsDep
) -> ChallengeOut:
    """Send a reset code to the line. Refused for a line reported lost: reset it in a store."""
    started = identity.start_otp(session, deps, body.msisdn, purpose=identity.PASSWORD_RESET)
    session.commit()
    return _started(started)


@router.post(
    "/password/reset",
    status_code=204,
    response_class=Response,
    responses=problems(400, 401, 422, 429),
    dependencies=[public("a forgotten password cannot require a sign-in"), SIGN_IN_LIMIT],
)
def reset_password(body: PasswordResetIn, session: SessionDep, deps: DepsDep) -> Response:
    """The code sent to the line plus the holder's ID number (full, or last six where allowed)."""
    refused = identity.reset_password_with_code(
        session, deps, body.challenge_id, body.code, body.id_number, body.new_password
    )
    session.commit()  # a wrong code or ID number still counts
    if refused is not None:
        raise refused
    return Response(status_code=204)


@router.post(
    "/password/store-reset",
    status_code=204,
    response_class=Response,
    responses=problems(401, 403, 404, 422),
)
def store_password_reset(
    body: StorePasswordResetIn, session: SessionDep, deps: DepsDep, actor: StoreStaff
) -> Response:
    """In a store, after an agent saw the holder's ID document; recorded as such."""
    identity.reset_password_in_store(
        session,
        deps,
        replace(actor, channel=Channel.STORE),
        body.msisdn,
        body.id_document_seen,
        body.document_kind,
        body.new_password,
    )
    session.commit()
    return Response(status_code=204)
