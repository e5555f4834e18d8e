"""Turning a closure's moves into events for the receivers that subscribed to them.

Rules:
- Event types: `submitted`, `needs_action`, `approved`, `rejected`, `closed`, `refund.paid`,
  `refund.returned`, `number.released`; the CloudEvents `type` is `com.lineclose.<type>`.
- The operator's own subscriptions get every event of the operator they asked for (all when
  they named none). A bound service's subscription gets an event only for lines bound to that
  service whose binding asks to be told of closure (default: `closed`, `number.released`).
- The body is built once, when the move commits, and carries no personal data (masked number,
  reference, states, amounts). Its `id` is fixed then, so every retry of every delivery
  carries the same id and a receiver can drop repeats.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from cloudevents.core.bindings.http import to_structured
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import models, outbox
from lineclose.db.models_money import WebhookSubscription
from lineclose.domain.identifiers import mask_msisdn
from lineclose.services.context import Deps

WEBHOOK = "webhook"
EVENT_TYPES = (
    "submitted",
    "needs_action",
    "approved",
    "rejected",
    "closed",
    "refund.paid",
    "refund.returned",
    "number.released",
)
SERVICE_DEFAULT_TYPES = ("closed", "number.released")
TYPE_PREFIX = "com.lineclose."


def _event_data(
    session: Session, request: models.ClosureRequest, event_type: str
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "reference": request.reference,
        "status": request.status,
        "operator": request.operator.code,
        "msisdn": mask_msisdn(request.line.msisdn),
        "channel": request.channel,
    }
    if event_type.startswith("refund."):
        refund = session.execute(
            select(models.RefundInstruction).where(
                models.RefundInstruction.request_id == request.id
            )
        ).scalar_one_or_none()
        if refund is not None:
            data["refund"] = {
                "amount_minor": refund.amount_minor,
                "currency": refund.currency,
                "status": refund.status,
                "return_reason": refund.return_reason,
            }
    return data


def _bound_services(session: Session, line_id: int) -> set[str]:
    return set(
        session.execute(
            select(models.Binding.service).where(
                models.Binding.line_id == line_id, models.Binding.notify_on_closure.is_(True)
            )
        ).scalars()
    )


# Active subscriptions by operator, read once for every event a commit emits.
Known = dict[int, list[WebhookSubscription]]


def _active(session: Session, operator_id: int, known: Known | None) -> list[WebhookSubscription]:
    if known is not None and operator_id in known:
        return known[operator_id]
    found = list(
        session.execute(
            select(WebhookSubscription)
            .where(
                WebhookSubscription.operator_id == operator_id,
                WebhookSubscription.active.is_(True),
            )
            .order_by(WebhookSubscription.id)
        ).scalars()
    )
    if known is not None:
        known[operator_id] = found
    return found


def subscribers_for(
    session: Session,
    request: models.ClosureRequest,
    event_type: str,
    known: Known | None = None,
) -> list[WebhookSubscription]:
    """`known`: the subscriptions already read in this unit of work, by operator."""
    subscriptions = _active(session, request.operator_id, known)
    bound: set[str] | None = None
    chosen = []
    for subscription in subscriptions:
        if subscription.service is None:
            wanted = subscription.event_types or list(EVENT_TYPES)
        else:
            if bound is None:
                bound = _bound_services(session, request.line_id)
            if subscription.service not in bound:
                continue
            wanted = subscription.event_types or list(SERVICE_DEFAULT_TYPES)
        if event_type in wanted:
            chosen.append(subscription)
    return chosen


def emit_event(
    session: Session,
    deps: Deps,
    request: models.ClosureRequest,
    event_type: str,
    known: Known | None = None,
) -> str | None:
    """Enqueue one delivery of the event per subscribed receiver; returns the event id (None when
    nobody subscribed). Call it in the transaction that makes the move."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    receivers = subscribers_for(session, request, event_type, known)
    if not receivers:
        return None
    now = deps.clock.now()
    event_id = str(uuid.uuid4())
    event = CloudEvent(
        {
            "id": event_id,
            "source": f"/lineclose/operators/{request.operator.code}",
            "type": TYPE_PREFIX + event_type,
            "subject": request.reference,
            "time": now,
            "datacontenttype": "application/json",
        },
        _event_data(session, request, event_type),
    )
    message = to_structured(event, JSONFormat())
    body = message.body.decode("utf-8")
    json.loads(body)  # the body is what is signed: it must be final JSON text now
    for subscription in receivers:
        outbox.enqueue(
            session,
            now,
            WEBHOOK,
            f"webhook:{subscription.id}:{event_id}",
            {
                "subscription_id": subscription.id,
                "event_id": event_id,
                "event_type": event_type,
                "body": body,
                "content_type": message.headers.get("content-type", "application/cloudevents+json"),
            },
            request_id=request.id,
        )
    return event_id
