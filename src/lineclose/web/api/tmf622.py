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

from lineclose.db import models
from lineclose.domain.identifiers import mask_msisdn
from lineclose.domain.states import RequestState
from lineclose.errors import InvalidInput
from lineclose.services import closure
from lineclose.services.context import Actor, Scope
from lineclose.web.api.deps import FRONT_DESK, STAFF, SUBSCRIBER, DepsDep, SessionDep, allow

BASE = "/tmf-api/productOrderingManagement/v4"

OrderSubmitter = Annotated[Actor, allow(*FRONT_DESK, scopes=(Scope.CLOSURE_SUBMIT,))]
OrderReader = Annotated[Actor, allow(*SUBSCRIBER, *STAFF, scopes=(Scope.CLOSURE_READ,))]
tmf622 = APIRouter(prefix=BASE, tags=["TMF622 product ordering"])

STATE = {
    RequestState.SUBMITTED: "acknowledged",
    RequestState.NEEDS_ACTION: "pending",
    RequestState.UNDER_REVIEW: "acknowledged",
    RequestState.REJECTED: "held",
    RequestState.APPROVED: "inProgress",
    RequestState.SCHEDULED: "inProgress",
    RequestState.EXECUTING: "inProgress",
    RequestState.CLOSED: "completed",
    RequestState.WITHDRAWN: "cancelled",
}


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


def _order(request: models.ClosureRequest, item_id: str = "1") -> dict[str, Any]:
    state = STATE[RequestState(request.status)]
    order: dict[str, Any] = {
        "id": request.reference,
        "href": f"{BASE}/productOrder/{request.reference}",
        "orderDate": request.submitted_at.isoformat(),
        "state": state,
        "notificationContact": request.alternate_contact_masked,
        "channel": [{"id": request.channel, "name": request.channel, "role": "orderChannel"}],
        "productOrderItem": [
            {
                "id": item_id,
                "action": "delete",
                "state": state,
                "product": {
                    "productCharacteristic": [
                        {"name": "msisdn", "value": mask_msisdn(request.line.msisdn)}
                    ]
                },
            }
        ],
        "@type": "ProductOrder",
    }
    if request.requested_date:
        order["requestedCompletionDate"] = f"{request.requested_date.isoformat()}T00:00:00Z"
    if request.closed_at:
        order["completionDate"] = request.closed_at.isoformat()
    return order


@tmf622.post("/productOrder", status_code=201)
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
    submitted = closure.submit(
        session,
        deps,
        actor,
        msisdn,
        closure.ClosureInput(
            refund_account=_characteristic(item, "refundAccount"),
            alternate_contact=body.notificationContact,
            requested_date=requested,
        ),
        idempotency_key or body.externalId,
    )
    session.commit()
    return JSONResponse(
        _order(submitted.request, item.id), status_code=201 if submitted.created else 200
    )


@tmf622.get("/productOrder/{order_id}")
def get_product_order(order_id: str, session: SessionDep, actor: OrderReader) -> dict[str, Any]:
    request = closure.get_request(session, order_id)
    closure.ensure_can_act(actor, request)
    return _order(request)
