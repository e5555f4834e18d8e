"""hub: register a listener for this API's events, or remove it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response
from fastapi.responses import JSONResponse

from lineclose.services.tmf622 import hub as service
from lineclose.services.tmf622.views import BASE
from lineclose.web.api.deps import DepsDep, SessionDep
from lineclose.web.api.tmf622.common import ERRORS, Listener, answers
from lineclose.web.api.tmf622.errors import TmfRoute

router = APIRouter(prefix=BASE, tags=["TMF622 product ordering"], route_class=TmfRoute)


@router.post("/hub", status_code=201, responses=answers(201, "EventSubscription"))
def register_listener(
    data: Annotated[dict[str, Any], Body()], session: SessionDep, deps: DepsDep, actor: Listener
) -> JSONResponse:
    """Events are posted to `{callback}/listener/{eventName}`, e.g.
    `.../listener/productOrderStateChangeEvent`; `query` may narrow them: `eventType=A,B`."""
    subscription = service.subscribe(session, deps, actor, data.get("callback"), data.get("query"))
    session.commit()
    body = {"id": subscription.public_id, "callback": subscription.callback}
    if subscription.query:
        body["query"] = subscription.query
    return JSONResponse(body, status_code=201)


@router.delete("/hub/{subscription_id}", status_code=204, responses=ERRORS)
def unregister_listener(subscription_id: str, session: SessionDep, actor: Listener) -> Response:
    service.unsubscribe(session, actor, subscription_id)
    session.commit()
    return Response(status_code=204)
