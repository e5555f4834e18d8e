"""CAMARA Number Recycling v0.2 (`POST /number-recycling/v0.2/check`), to the letter of its YAML.

The body and headers are read here rather than by FastAPI's validation, so every refusal,
including a missing or malformed body, answers in CAMARA's shape `{status, code, message}`
with the caller's `x-correlator` echoed.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from lineclose.services import camara as service
from lineclose.services.access import RULES, Action
from lineclose.services.camara import CamaraRefusal, invalid_argument
from lineclose.services.reassigned import E164
from lineclose.web.api.deps import POLICY_ATTRIBUTE, DepsDep, Policy, ReadSessionDep

router = APIRouter(prefix="/number-recycling/v0.2", tags=["CAMARA number recycling"])

CORRELATOR = re.compile(r"^[a-zA-Z0-9-_:;.\/<>{}]{0,256}$")
CALENDAR_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class CheckNumRecyclingInfo(BaseModel):
    phoneNumberRecycled: bool


class ErrorInfo(BaseModel):
    status: int
    code: str
    message: str


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorInfo, "description": description}
    for status, description in (
        (400, "INVALID_ARGUMENT or OUT_OF_RANGE"),
        (401, "UNAUTHENTICATED"),
        (403, "PERMISSION_DENIED"),
        (404, "IDENTIFIER_NOT_FOUND"),
        (422, "SERVICE_NOT_APPLICABLE, MISSING_IDENTIFIER or UNNECESSARY_IDENTIFIER"),
    )
}


def _answer(status: int, body: dict[str, Any], correlator: str | None) -> JSONResponse:
    headers = {"x-correlator": correlator} if correlator else None
    return JSONResponse(body, status_code=status, headers=headers)


def _refusal(refusal: CamaraRefusal, correlator: str | None) -> JSONResponse:
    body = {"status": refusal.status, "code": refusal.code, "message": refusal.message}
    return _answer(refusal.status, body, correlator)


def _parse(raw: bytes) -> tuple[str | None, date]:
    """The request body per `CreateCheckNumRecycling`; any violation is INVALID_ARGUMENT."""
    if not raw.strip():
        raise invalid_argument("the request body is required")
    try:
        body = json.loads(raw)
    except ValueError:
        raise invalid_argument("the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise invalid_argument("the request body must be a JSON object")
    specified = body.get("specifiedDate")
    if not isinstance(specified, str) or not CALENDAR_DATE.match(specified):
        raise invalid_argument("specifiedDate is required, as a calendar date YYYY-MM-DD")
    try:
        day = date.fromisoformat(specified)
    except ValueError:
        raise invalid_argument("specifiedDate is not a calendar date") from None
    phone = body.get("phoneNumber")
    if phone is not None and (not isinstance(phone, str) or not E164.match(phone)):
        raise invalid_argument("phoneNumber must be E.164: '+' followed by 5 to 15 digits")
    return phone, day


async def camara_policy() -> None:
    """Who may call, declared for the route audits; enforced by `caller_from_token` so that
    refusals answer in CAMARA's shape: staff, systems with the scope, and a subscriber's own
    session (three-legged: it can only ask about its own number)."""


setattr(
    camara_policy,
    POLICY_ATTRIBUTE,
    Policy(RULES[Action.NUMBER_RECYCLING_SELF].roles, RULES[Action.NUMBER_RECYCLING_SELF].scopes),
)


async def raw_body(request: Request) -> bytes:
    return await request.body()


@router.post(
    "/check",
    dependencies=[Depends(camara_policy)],
    response_model=CheckNumRecyclingInfo,
    responses=ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["specifiedDate"],
                        "properties": {
                            "phoneNumber": {"type": "string", "pattern": r"^\+[1-9][0-9]{4,14}$"},
                            "specifiedDate": {"type": "string", "format": "date"},
                        },
                    }
                }
            },
        }
    },
)
def check_number_recycling(
    raw: Annotated[bytes, Depends(raw_body)],
    session: ReadSessionDep,
    deps: DepsDep,
    authorization: Annotated[str | None, Header()] = None,
    x_correlator: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Whether the subscriber of the number changed on or after `specifiedDate`."""
    correlator = x_correlator if x_correlator and CORRELATOR.match(x_correlator) else None
    try:
        if x_correlator is not None and correlator is None:
            raise invalid_argument("x-correlator does not match its pattern")
        caller = service.caller_from_token(session, deps, authorization)
        phone, specified = _parse(raw)
        recycled = service.check(session, deps, caller, phone, specified)
    except CamaraRefusal as refusal:
        return _refusal(refusal, correlator)
    finally:
        session.rollback()  # the reads end here, on this thread, not on another hop
    return _answer(200, {"phoneNumberRecycled": recycled}, correlator)
