"""Closure requests in TM Forum TMF622's words: a product order whose one item deletes the line."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.domain.identifiers import mask_msisdn
from lineclose.domain.states import RequestState
from lineclose.services.context import Actor
from lineclose.services.reads.requests import readable_request

BASE = "/tmf-api/productOrderingManagement/v4"

# TMF622 ProductOrderStateType for each request state.
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


def product_order(request: models.ClosureRequest, item_id: str = "1") -> dict[str, Any]:
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


def product_order_by_id(session: Session, actor: Actor, order_id: str) -> dict[str, Any]:
    return product_order(readable_request(session, actor, order_id))
