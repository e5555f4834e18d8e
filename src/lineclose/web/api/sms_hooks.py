"""Callbacks from the SMS gateway: inbound messages (Kannel's get-url) and delivery reports
(Kannel's dlr-url).

Kannel cannot sign its calls, so both URLs carry the shared secret `sms_callback_secret` as
`?secret=...` (or, from a proxy that can add headers, `X-Lineclose-Secret`). While the secret is
unset the callbacks refuse every call. Neither answer has a body: with `max-messages = 0` in the
sms-service Kannel sends nothing back to the phone.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from starlette.concurrency import run_in_threadpool

from lineclose.adapters.sms.kannel import parse_delivery_report, parse_inbound
from lineclose.errors import Forbidden, InvalidInput, LinecloseError
from lineclose.services import sms_callbacks, sms_keywords
from lineclose.web.api.deps import DepsDep, SessionDep
from lineclose.web.api.schemas import problems

router = APIRouter(prefix="/api/v1/sms", tags=["sms gateway"])


class CallbacksDisabled(LinecloseError):
    code = "sms_callbacks_disabled"
    status = 503


async def _params(request: Request) -> dict[str, str]:
    params = dict(request.query_params)
    if request.method == "POST":
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


def _check_secret(deps: DepsDep, params: dict[str, str], header: str | None) -> None:
    expected = deps.settings.sms_callback_secret
    if expected is None:
        raise CallbacksDisabled("set LINECLOSE_SMS_CALLBACK_SECRET to accept gateway callbacks")
    given = header or params.get("secret", "")
    if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
        raise Forbidden("the callback secret is missing or wrong", code="bad_callback_secret")


@router.get(
    "/inbound",
    status_code=202,
    response_class=Response,
    responses=problems(403, 422),
    operation_id="sms_inbound_get",
)
@router.post(
    "/inbound",
    status_code=202,
    response_class=Response,
    responses=problems(403, 422),
    operation_id="sms_inbound_post",
)
async def inbound(
    request: Request,
    session: SessionDep,
    deps: DepsDep,
    x_lineclose_secret: Annotated[str | None, Header()] = None,
) -> Response:
    """Store an inbound SMS (text encrypted) and answer its keyword through the outbox."""
    params = await _params(request)
    _check_secret(deps, params, x_lineclose_secret)
    try:
        message = parse_inbound(params)
    except ValueError as exc:
        raise InvalidInput(str(exc), code="invalid_inbound_sms") from None
    inbound = sms_callbacks.Inbound(
        message.sender, message.receiver, message.text, message.received_at
    )

    def store() -> None:
        stored = sms_callbacks.store_inbound(session, deps, inbound)
        sms_keywords.handle_inbound(session, deps, stored, inbound.text, message.gateway_id)
        session.commit()

    # The database work runs off the event loop: a wait on a lock must not stall other calls.
    await run_in_threadpool(store)
    return Response(status_code=202)


@router.get(
    "/dlr",
    status_code=202,
    response_class=Response,
    responses=problems(403, 422),
    operation_id="sms_delivery_report_get",
)
@router.post(
    "/dlr",
    status_code=202,
    response_class=Response,
    responses=problems(403, 422),
    operation_id="sms_delivery_report_post",
)
async def delivery_report(
    request: Request,
    session: SessionDep,
    deps: DepsDep,
    x_lineclose_secret: Annotated[str | None, Header()] = None,
) -> Response:
    """Keep a delivery report once; it also settles a send that was interrupted mid-call."""
    params = await _params(request)
    _check_secret(deps, params, x_lineclose_secret)
    try:
        report = parse_delivery_report(params)
    except ValueError as exc:
        raise InvalidInput(str(exc), code="invalid_delivery_report") from None
    if len(report.key) > 100:
        raise InvalidInput("the message key is too long", code="invalid_delivery_report")
    kept = sms_callbacks.Report(
        message_key=report.key,
        report_type=report.kannel_type,
        status=report.status.value,
        reported_at=report.reported_at,
        smsc_id=report.smsc_id,
    )

    def record() -> None:
        sms_callbacks.record_delivery_report(session, deps, kept)
        session.commit()

    await run_in_threadpool(record)
    return Response(status_code=202)
