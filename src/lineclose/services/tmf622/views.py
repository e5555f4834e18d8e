"""The ProductOrder a caller sees: what was posted, echoed, with what Lineclose owns stamped on.

Closure states map onto TMF states; the mapping is the one place they meet. Personal values
stay masked: the line's number, the refund account, the notification contact; identity
evidence is echoed by method, never by value.
"""

from __future__ import annotations

import json
from typing import Any

from lineclose.db import models
from lineclose.db.models_tmf622 import TmfProductOrder
from lineclose.domain.identifiers import mask_msisdn
from lineclose.domain.states import RequestState
from lineclose.services.context import Deps

BASE = "/tmf-api/productOrderingManagement/v4"

STATE: dict[RequestState, str] = {
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

# Lineclose sets these; a posted or patched value for them is refused.
SERVER_OWNED = frozenset(
    {
        "id",
        "href",
        "state",
        "orderDate",
        "completionDate",
        "cancellationDate",
        "expectedCompletionDate",
    }
)


def tmf_state(status: str) -> str:
    return STATE[RequestState(status)]


def statuses_for(state: str) -> list[str]:
    return [s.value for s, t in STATE.items() if t == state]


def order_href(reference: str) -> str:
    return f"{BASE}/productOrder/{reference}"


def posted_of(deps: Deps, order: TmfProductOrder) -> dict[str, Any]:
    posted: dict[str, Any] = json.loads(deps.vault.decrypt(order.posted_enc))
    return posted


def _stamp_items(items: list[dict[str, Any]], state: str, msisdn: str) -> list[dict[str, Any]]:
    stamped = []
    for item in items:
        item = {**item, "state": state}
        product = dict(item.get("product") or {})
        product["productCharacteristic"] = [
            {**c, "value": mask_msisdn(msisdn)} if c.get("name") == "msisdn" else c
            for c in product.get("productCharacteristic", [])
        ]
        item["product"] = product
        stamped.append(item)
    return stamped


def order_view(
    deps: Deps,
    order: TmfProductOrder,
    request: models.ClosureRequest,
    state: str | None = None,
) -> dict[str, Any]:
    """`state` overrides the current one, for an event about an earlier transition."""
    shown = state or tmf_state(request.status)
    view = posted_of(deps, order)
    view.update(
        {
            "id": request.reference,
            "href": order_href(request.reference),
            "state": shown,
            "orderDate": order.created_at.isoformat(),
            "@type": view.get("@type") or "ProductOrder",
        }
    )
    view["productOrderItem"] = _stamp_items(
        view.get("productOrderItem", []), shown, request.line.msisdn
    )
    if request.alternate_contact_masked:
        view["notificationContact"] = request.alternate_contact_masked
    if request.requested_date:
        view["requestedCompletionDate"] = f"{request.requested_date.isoformat()}T00:00:00Z"
    if request.scheduled_for and shown == "inProgress":
        view["expectedCompletionDate"] = f"{request.scheduled_for.isoformat()}T00:00:00Z"
    if request.closed_at and shown == "completed":
        view["completionDate"] = request.closed_at.isoformat()
    if shown == "cancelled":
        view["cancellationDate"] = request.updated_at.isoformat()
    return view


def select_fields(
    view: dict[str, Any], fields: list[str] | None, required: str = "productOrderItem"
) -> dict[str, Any]:
    """TMF630 attribute selection: the named first-level attributes, always with `id`, `href`,
    `@type` and the one the schema requires, so a selection is still a valid resource."""
    if not fields:
        return view
    keep = {"id", "href", "@type", required, *fields}
    return {k: v for k, v in view.items() if k in keep}


# The first-level attributes of ProductOrder in TMF622 v4: what `fields` and filters may name.
ORDER_ATTRIBUTES = frozenset(
    {
        "id",
        "href",
        "cancellationDate",
        "cancellationReason",
        "category",
        "completionDate",
        "description",
        "expectedCompletionDate",
        "externalId",
        "notificationContact",
        "orderDate",
        "priority",
        "requestedCompletionDate",
        "requestedStartDate",
        "agreement",
        "billingAccount",
        "channel",
        "note",
        "orderTotalPrice",
        "payment",
        "productOfferingQualification",
        "productOrderItem",
        "quote",
        "relatedParty",
        "state",
        "@baseType",
        "@schemaLocation",
        "@type",
    }
)
CANCEL_ATTRIBUTES = frozenset(
    {
        "id",
        "href",
        "cancellationReason",
        "effectiveCancellationDate",
        "requestedCancellationDate",
        "productOrder",
        "state",
        "@baseType",
        "@schemaLocation",
        "@type",
    }
)
