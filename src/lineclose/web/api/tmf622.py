"""TM Forum TMF622 Product Ordering v4: a line closure is a product order whose item action is `delete`.

The order id is the closure request's reference; the product is identified by the MSISDN in
`product.productCharacteristic` (name `msisdn`), the refund account by `refundAccount`, the
contact for notices after closure by the order's `notificationContact`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from lineclose.errors import InvalidInput
from lineclose.services import requests
from lineclose.services.access import Action
from lineclose.services.context import Actor
from lineclose.services.reads.product_orders import BASE, product_order, product_order_by_id
from lineclose.web.api.deps import DepsDep, SessionDep, may
from lineclose.web.api.schemas import problems

OrderSubmitter = Annotated[Actor, may(Action.SUBMIT)]
OrderReader = Annotated[Actor, may(Action.READ_REQUEST)]
tmf622 = APIRouter(prefix=BASE, tags=["TMF622 product ordering"])


class Characteristic(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    value: Any


class ProductRef(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str | None = None
    productCharacteristic: list[Characteristic] = Field(default_factory=list)


class OrderItem(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    action: str
    product: ProductRef | None = None


class ChannelRef(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str | None = None


class ProductOrderCreate(BaseModel):
    model_config = ConfigDict(extra="allow")
    productOrderItem: list[OrderItem] = Field(min_length=1)
    requestedCompletionDate: datetime | date | None = None
    notificationContact: str | None = None
    externalId: str | None = None
    channel: list[ChannelRef] = Field(default_factory=list)


def _characteristic(item: OrderItem, name: str) -> str | None:
    for characteristic in item.product.productCharacteristic if item.product else []:
        if characteristic.name == name:
            return str(characteristic.value)
    return None


class ProductOrder(BaseModel):
    """TMF622 ProductOrder, as far as a line termination fills it."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    id: str
    href: str
    orderDate: str
    state: str
    notificationContact: str | None
    channel: list[dict[str, Any]]
    productOrderItem: list[dict[str, Any]]
    type_: str = Field(alias="@type")
    requestedCompletionDate: str | None = None
    completionDate: str | None = None


ORDER_ERRORS = problems(400, 401, 403, 404, 409, 422)


@tmf622.post(
    "/productOrder",
    status_code=201,
    response_model=ProductOrder,
    response_model_exclude_unset=True,
    responses={200: {"model": ProductOrder, "description": "replayed"}, **ORDER_ERRORS},
)
def create_product_order(
    body: ProductOrderCreate,
    session: SessionDep,
    deps: DepsDep,
    actor: OrderSubmitter,
    idempotency_key: str | None = Header(default=None, max_length=100),
) -> JSONResponse:
    """Terminate one line: exactly one item, with action `delete` and the line's MSISDN."""
    if len(body.productOrderItem) != 1 or body.productOrderItem[0].action != "delete":
        raise InvalidInput(
            "a termination order has exactly one productOrderItem with action 'delete'",
            code="unsupported_order",
        )
    item = body.productOrderItem[0]
    msisdn = _characteristic(item, "msisdn")
    if not msisdn:
        raise InvalidInput(
            "productOrderItem.product.productCharacteristic must carry the line's 'msisdn'",
            code="missing_msisdn",
        )
    requested = body.requestedCompletionDate
    if isinstance(requested, datetime):
        requested = requested.date()
    submitted = requests.submit(
        session,
        deps,
        actor,
        msisdn,
        requests.ClosureInput(
            refund_account=_characteristic(item, "refundAccount"),
            alternate_contact=body.notificationContact,
            requested_date=requested,
        ),
        idempotency_key or body.externalId,
    )
    session.commit()
    return JSONResponse(
        product_order(submitted.request, item.id), status_code=201 if submitted.created else 200
    )


@tmf622.get(
    "/productOrder/{order_id}",
    response_model=ProductOrder,
    response_model_exclude_unset=True,
    responses=ORDER_ERRORS,
)
def get_product_order(order_id: str, session: SessionDep, actor: OrderReader) -> dict[str, Any]:
    return product_order_by_id(session, actor, order_id)
