"""Hub subscriptions and the events they hear, written to the outbox with the change they report.

An event goes to `{callback}/listener/{eventName}` (the listener paths of the specification)
for every subscription of the order's operator whose `query` (`eventType=A,B`) admits it.
State changes are derived from the closure request's own history: every request event past
the order's cursor that changes the TMF state becomes a `ProductOrderStateChangeEvent`, and
entering `pending` also a `ProductOrderInformationRequiredEvent`. The TMF endpoints derive
them in the transaction of the change; the worker's sweep catches the transitions it makes.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from lineclose.db import models, outbox
from lineclose.db.models_tmf622 import TmfHubSubscription, TmfProductOrder
from lineclose.domain.states import RequestState
from lineclose.errors import NotFound
from lineclose.services.context import Actor, Deps
from lineclose.services.tmf622.errors import bad_request
from lineclose.services.tmf622.views import STATE, order_view

TMF_EVENT = "tmf_event"

EVENT_TYPES = (
    "ProductOrderCreateEvent",
    "ProductOrderAttributeValueChangeEvent",
    "ProductOrderDeleteEvent",
    "ProductOrderStateChangeEvent",
    "ProductOrderInformationRequiredEvent",
    "CancelProductOrderCreateEvent",
    "CancelProductOrderStateChangeEvent",
    "CancelProductOrderInformationRequiredEvent",
)


def _listener(event_type: str) -> str:
    return "listener/" + event_type[0].lower() + event_type[1:]


def _admitted(query: str | None) -> frozenset[str]:
    if not query:
        return frozenset(EVENT_TYPES)
    parsed = parse_qs(query, keep_blank_values=True)
    if set(parsed) - {"eventType"}:
        raise bad_request("invalidQuery", "a hub query may filter on eventType only")
    wanted = {t.strip() for v in parsed.get("eventType", []) for t in v.split(",") if t.strip()}
    unknown = wanted - set(EVENT_TYPES)
    if unknown or not wanted:
        raise bad_request(
            "invalidQuery", f"eventType must name events of this API: {', '.join(EVENT_TYPES)}"
        )
    return frozenset(wanted)


def subscribe(
    session: Session, deps: Deps, actor: Actor, callback: Any, query: Any
) -> TmfHubSubscription:
    """Register a listener for the caller's operator (every operator for unbound staff)."""
    if not isinstance(callback, str) or urlsplit(callback).scheme not in ("http", "https"):
        raise bad_request("invalidCallback", "callback must be an http or https URL")
    if len(callback) > 500 or not urlsplit(callback).netloc:
        raise bad_request(
            "invalidCallback", "callback must be an absolute URL of 500 characters at most"
        )
    if query is not None and not isinstance(query, str):
        raise bad_request("invalidQuery", "query is a string such as 'eventType=...'")
    _admitted(query)
    subscription = TmfHubSubscription(
        public_id=secrets.token_hex(8),
        operator_id=actor.operator_id,
        callback=callback.rstrip("/"),
        query=query,
        created_by=actor.label,
        created_at=deps.clock.now(),
    )
    session.add(subscription)
    session.flush()
    return subscription


def unsubscribe(session: Session, actor: Actor, public_id: str) -> None:
    subscription = session.execute(
        select(TmfHubSubscription).where(TmfHubSubscription.public_id == public_id)
    ).scalar_one_or_none()
    if subscription is None:
        raise NotFound("no hub subscription with this id", code="notFound")
    if actor.operator_id is not None and subscription.operator_id != actor.operator_id:
        raise NotFound("no hub subscription with this id", code="notFound")
    session.delete(subscription)


def emit(
    session: Session,
    deps: Deps,
    operator_id: int,
    event_type: str,
    key: str,
    resource: tuple[str, dict[str, Any]],
) -> int:
    """Queue one event for every admitting subscription; `key` makes it idempotent."""
    now = deps.clock.now()
    subscriptions = session.execute(
        select(TmfHubSubscription).where(
            or_(
                TmfHubSubscription.operator_id == operator_id,
                TmfHubSubscription.operator_id.is_(None),
            )
        )
    ).scalars()
    sent = 0
    for subscription in subscriptions:
        if event_type not in _admitted(subscription.query):
            continue
        event_id = f"{key}:{event_type}:{subscription.public_id}"
        body = {
            "eventId": event_id,
            "eventTime": now.isoformat(),
            "eventType": event_type,
            "domain": "productOrderingManagement",
            "event": {resource[0]: resource[1]},
        }
        outbox.enqueue(
            session,
            now,
            TMF_EVENT,
            f"tmf:{event_id}"[:120],
            {"url": f"{subscription.callback}/{_listener(event_type)}", "body": body},
        )
        sent += 1
    return sent


def derive_state_changes(session: Session, deps: Deps, order: TmfProductOrder) -> None:
    """Turn the request's transitions past the order's cursor into TMF events."""
    request = session.get(models.ClosureRequest, order.request_id)
    assert request is not None
    events = (
        session.execute(
            select(models.RequestEvent)
            .where(
                models.RequestEvent.request_id == order.request_id,
                models.RequestEvent.id > order.last_event_id,
            )
            .order_by(models.RequestEvent.id)
        )
        .scalars()
        .all()
    )
    for event in events:
        state = STATE[RequestState(event.to_state)]
        if state != order.notified_state:
            view = order_view(deps, order, request, state)
            key = f"po:{request.reference}:{event.id}"
            emit(
                session,
                deps,
                order.operator_id,
                "ProductOrderStateChangeEvent",
                key,
                ("productOrder", view),
            )
            if state == "pending":
                emit(
                    session,
                    deps,
                    order.operator_id,
                    "ProductOrderInformationRequiredEvent",
                    key,
                    ("productOrder", view),
                )
            order.notified_state = state
        order.last_event_id = event.id


def sweep(session: Session, deps: Deps) -> int:
    """Derive the events of transitions made outside the TMF endpoints (the worker's)."""
    latest = (
        select(models.RequestEvent.request_id, func.max(models.RequestEvent.id).label("last"))
        .group_by(models.RequestEvent.request_id)
        .subquery()
    )
    behind = (
        session.execute(
            select(TmfProductOrder)
            .join(latest, latest.c.request_id == TmfProductOrder.request_id)
            .where(latest.c.last > TmfProductOrder.last_event_id)
        )
        .scalars()
        .all()
    )
    for order in behind:
        derive_state_changes(session, deps, order)
    return len(behind)


def announce(session: Session, deps: Deps, request_id: int) -> None:
    """Derive the TMF events of a closure request's latest transitions now, in the caller's
    transaction (a no-op for requests not ordered through TMF622). Meant to be called right
    after `closure.transition` records an event; the worker's sweep is the safety net."""
    order = session.execute(
        select(TmfProductOrder).where(TmfProductOrder.request_id == request_id)
    ).scalar_one_or_none()
    if order is not None:
        derive_state_changes(session, deps, order)
