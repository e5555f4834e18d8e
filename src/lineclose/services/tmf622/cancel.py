"""cancelProductOrder: a cancel order withdraws the closure while it is still before the point of
no return (execution); after it, the cancel order is `terminatedWithError` and nothing changes."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.db.models_tmf622 import TmfCancelOrder, TmfProductOrder
from lineclose.errors import Forbidden, NotFound, TransitionNotAllowed
from lineclose.services import closure
from lineclose.services.context import Actor, Deps, Role
from lineclose.services.tmf622 import hub
from lineclose.services.tmf622.errors import bad_request
from lineclose.services.tmf622.reads import MAX_LIMIT, Page, find_order
from lineclose.services.tmf622.views import BASE, order_href, select_fields


def cancel_view(cancel: TmfCancelOrder, reference: str) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": cancel.public_id,
        "href": f"{BASE}/cancelProductOrder/{cancel.public_id}",
        "state": cancel.state,
        "productOrder": {
            "id": reference,
            "href": order_href(reference),
            "@referredType": "ProductOrder",
        },
        "@type": "CancelProductOrder",
    }
    if cancel.cancellation_reason:
        view["cancellationReason"] = cancel.cancellation_reason
    if cancel.requested_cancellation_date:
        view["requestedCancellationDate"] = cancel.requested_cancellation_date
    if cancel.effective_cancellation_date:
        view["effectiveCancellationDate"] = cancel.effective_cancellation_date.isoformat()
    return view


def create(session: Session, deps: Deps, actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
    target = body.get("productOrder")
    if not isinstance(target, dict) or not isinstance(target.get("id"), str):
        raise bad_request("missingAttribute", "productOrder.id names the order to cancel")
    reason = body.get("cancellationReason")
    if reason is not None and not isinstance(reason, str):
        raise bad_request("invalidAttribute", "cancellationReason is a string")
    requested = body.get("requestedCancellationDate")
    if requested is not None and not isinstance(requested, str):
        raise bad_request("invalidAttribute", "requestedCancellationDate is a date-time string")
    try:
        order, request = find_order(session, deps, actor, target["id"])
    except NotFound:
        # Alike for an order that does not exist and one of someone else: nothing leaks.
        raise Forbidden(
            "there is no product order with this id that you may cancel",
            code="orderNotAccessible",
        ) from None
    now = deps.clock.now()
    try:
        closure.withdraw(session, deps, actor, request.reference, (reason or "")[:500])
        state, effective = "done", now
    except TransitionNotAllowed:
        state, effective = "terminatedWithError", None  # executing, closed or already withdrawn
    cancel = TmfCancelOrder(
        public_id=secrets.token_hex(8),
        order_id=order.id,
        operator_id=order.operator_id,
        state=state,
        cancellation_reason=reason,
        requested_cancellation_date=requested,
        effective_cancellation_date=effective,
        created_by=actor.label,
        created_at=now,
    )
    session.add(cancel)
    session.flush()
    view = cancel_view(cancel, request.reference)
    key = f"cpo:{cancel.public_id}"
    hub.emit(
        session,
        deps,
        order.operator_id,
        "CancelProductOrderCreateEvent",
        key,
        ("cancelProductOrder", view),
    )
    hub.emit(
        session,
        deps,
        order.operator_id,
        "CancelProductOrderStateChangeEvent",
        f"{key}:{state}",
        ("cancelProductOrder", view),
    )
    hub.derive_state_changes(session, deps, order)
    return view


def _readable(actor: Actor) -> Any:
    statement = (
        select(TmfCancelOrder, models.ClosureRequest.reference)
        .join(TmfProductOrder, TmfProductOrder.id == TmfCancelOrder.order_id)
        .join(models.ClosureRequest, models.ClosureRequest.id == TmfProductOrder.request_id)
    )
    if actor.role is Role.SUBSCRIBER:
        return statement.where(TmfProductOrder.subscriber_id == actor.subscriber_id)
    if actor.operator_id is not None:
        return statement.where(TmfCancelOrder.operator_id == actor.operator_id)
    return statement


def get(session: Session, actor: Actor, public_id: str, fields: list[str] | None) -> dict[str, Any]:
    found = session.execute(_readable(actor).where(TmfCancelOrder.public_id == public_id)).first()
    if found is None:
        raise NotFound("no cancel order with this id", code="notFound")
    return select_fields(cancel_view(found[0], found[1]), fields, "productOrder")


def list_cancels(
    session: Session,
    actor: Actor,
    filters: dict[str, str],
    fields: list[str] | None,
    offset: int,
    limit: int,
) -> Page:
    if offset < 0 or not 1 <= limit <= MAX_LIMIT:
        raise bad_request("invalidPagination", f"offset >= 0 and 1 <= limit <= {MAX_LIMIT}")
    statement = _readable(actor)
    for name, value in filters.items():
        if name == "state":
            statement = statement.where(TmfCancelOrder.state.in_(value.split(",")))
        elif name == "id":
            statement = statement.where(TmfCancelOrder.public_id.in_(value.split(",")))
        elif name == "productOrder.id":
            statement = statement.where(
                models.ClosureRequest.reference.in_(value.upper().split(","))
            )
        else:
            raise bad_request("invalidFilter", f"cannot filter cancel orders on {name!r}")
    total = session.execute(select(func.count()).select_from(statement.subquery())).scalar_one()
    rows = session.execute(
        statement.order_by(TmfCancelOrder.id.desc()).offset(offset).limit(limit)
    ).all()
    return Page(
        [select_fields(cancel_view(c, ref), fields, "productOrder") for c, ref in rows], int(total)
    )
