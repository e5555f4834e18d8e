"""productOrder: create, retrieve, list, patch. A termination is an order with one `delete`
item whose product characteristics carry the line and everything its closure needs."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from lineclose.services.tmf622 import orders as service
from lineclose.services.tmf622.errors import bad_request
from lineclose.services.tmf622.reads import get_order, list_orders
from lineclose.services.tmf622.views import BASE, ORDER_ATTRIBUTES
from lineclose.web.api.deps import DepsDep, ReadSessionDep, SessionDep
from lineclose.web.api.tmf622.common import (
    ERRORS,
    Listener,
    OrderReader,
    OrderWriter,
    answers,
    fields_of,
    filters_of,
    page_response,
)
from lineclose.web.api.tmf622.errors import TmfRoute, tmf_error

router = APIRouter(prefix=BASE, tags=["TMF622 product ordering"], route_class=TmfRoute)
Json = Annotated[dict[str, Any], Body()]


@router.post(
    "/productOrder",
    status_code=201,
    responses={**answers(201, "ProductOrder"), **answers(200, "ProductOrder")},
)
def create_product_order(
    body: Json,
    session: SessionDep,
    deps: DepsDep,
    actor: OrderWriter,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> JSONResponse:
    """Create a termination order; every attribute posted is echoed with `id`, `href`,
    `state`, `orderDate` and `@type`. A replayed Idempotency-Key or externalId answers 200."""
    view, created = service.create(session, deps, actor, body, idempotency_key)
    session.commit()
    return JSONResponse(
        view, status_code=201 if created else 200, headers={"Location": view["href"]}
    )


@router.get("/productOrder", responses=answers(200, "ProductOrder", many=True))
def list_product_orders(
    request: Request,
    session: ReadSessionDep,
    deps: DepsDep,
    actor: Listener,
    fields: str | None = None,
    offset: Annotated[int, Query()] = 0,
    limit: Annotated[int, Query()] = 100,
) -> JSONResponse:
    """Filter on any first-level attribute (`?state=pending`, `?externalId=...`,
    `?orderDate.gte=2026-11-01`); `X-Total-Count` counts every match, `X-Result-Count` this page."""
    page = list_orders(
        session,
        deps,
        actor,
        filters_of(request),
        fields_of(fields, ORDER_ATTRIBUTES),
        offset,
        limit,
        ORDER_ATTRIBUTES,
    )
    return page_response(page)


@router.get("/productOrder/{order_id}", responses=answers(200, "ProductOrder"))
def retrieve_product_order(
    order_id: str,
    session: ReadSessionDep,
    deps: DepsDep,
    actor: OrderReader,
    fields: str | None = None,
) -> JSONResponse:
    return JSONResponse(
        get_order(session, deps, actor, order_id, fields_of(fields, ORDER_ATTRIBUTES))
    )


async def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object, whatever its media type (merge-patch or plain JSON)."""
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise bad_request("invalidRequest", "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise bad_request("invalidRequest", "the body must be a JSON object")
    return body


@router.patch(
    "/productOrder/{order_id}",
    responses=answers(200, "ProductOrder"),
    openapi_extra={
        "requestBody": {"content": {"application/merge-patch+json": {"schema": {"type": "object"}}}}
    },
)
def patch_product_order(
    order_id: str,
    changes: Annotated[dict[str, Any], Depends(json_object)],
    session: SessionDep,
    deps: DepsDep,
    actor: OrderWriter,
) -> JSONResponse:
    """JSON merge patch. Descriptive attributes change until execution begins; the closure's
    inputs (item characteristics, notificationContact, requestedCompletionDate) only while the
    order is `pending` or `held`, which resubmits it."""
    view = service.patch(session, deps, actor, order_id, changes)
    session.commit()
    return JSONResponse(view)


@router.delete("/productOrder/{order_id}", status_code=405, responses=ERRORS)
def delete_product_order(order_id: str, actor: Listener) -> JSONResponse:
    """A termination order is never deleted (its history is the audit trail): cancel it."""
    return tmf_error(
        405,
        "methodNotAllowed",
        "a product order cannot be deleted: create a cancelProductOrder for it",
    )
