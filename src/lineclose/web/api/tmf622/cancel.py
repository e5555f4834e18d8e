"""cancelProductOrder: withdraws the closure until execution begins (the point of no return)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse

from lineclose.services.tmf622 import cancel as service
from lineclose.services.tmf622.views import BASE, CANCEL_ATTRIBUTES
from lineclose.web.api.deps import DepsDep, ReadSessionDep, SessionDep
from lineclose.web.api.tmf622.common import (
    Listener,
    OrderReader,
    OrderWriter,
    answers,
    fields_of,
    filters_of,
    page_response,
)
from lineclose.web.api.tmf622.errors import TmfRoute

router = APIRouter(prefix=BASE, tags=["TMF622 product ordering"], route_class=TmfRoute)


@router.post("/cancelProductOrder", status_code=201, responses=answers(201, "CancelProductOrder"))
def create_cancel_product_order(
    body: Annotated[dict[str, Any], Body()],
    session: SessionDep,
    deps: DepsDep,
    actor: OrderWriter,
) -> JSONResponse:
    """`done` when the order was withdrawn; `terminatedWithError` when it was already executing,
    completed or cancelled (the order is then unchanged)."""
    view = service.create(session, deps, actor, body)
    session.commit()
    return JSONResponse(view, status_code=201, headers={"Location": view["href"]})


@router.get("/cancelProductOrder", responses=answers(200, "CancelProductOrder", many=True))
def list_cancel_product_orders(
    request: Request,
    session: ReadSessionDep,
    actor: Listener,
    fields: str | None = None,
    offset: Annotated[int, Query()] = 0,
    limit: Annotated[int, Query()] = 100,
) -> JSONResponse:
    page = service.list_cancels(
        session, actor, filters_of(request), fields_of(fields, CANCEL_ATTRIBUTES), offset, limit
    )
    return page_response(page)


@router.get("/cancelProductOrder/{cancel_id}", responses=answers(200, "CancelProductOrder"))
def retrieve_cancel_product_order(
    cancel_id: str, session: ReadSessionDep, actor: OrderReader, fields: str | None = None
) -> JSONResponse:
    return JSONResponse(
        service.get(session, actor, cancel_id, fields_of(fields, CANCEL_ATTRIBUTES))
    )
