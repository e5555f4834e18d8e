"""Closure moves become events without the transition code knowing about webhooks.

Every transition writes a `RequestEvent` row and every released number changes its state in
the same flush as the rest of the move; a listener on the session sees them and enqueues the
deliveries in that same transaction, just before it commits (so a rolled-back move sends
nothing). Installed once per session factory, in bootstrap.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, UOWTransaction, sessionmaker

from lineclose.db import models
from lineclose.services.context import Deps
from lineclose.services.webhooks.events import Known, emit_event

STATE_EVENTS = {
    "submitted": "submitted",
    "needs_action": "needs_action",
    "approved": "approved",
    "rejected": "rejected",
    "closed": "closed",
}
_PENDING = "lineclose.webhook_events"


def _collect(session: Session, context: UOWTransaction) -> None:
    pending: list[tuple[str, Any, str]] = session.info.setdefault(_PENDING, [])
    for obj in session.new:
        if isinstance(obj, models.RequestEvent) and obj.to_state in STATE_EVENTS:
            pending.append(("request", obj.request_id, STATE_EVENTS[obj.to_state]))
    for obj in session.dirty:
        if isinstance(obj, models.Number):
            added = inspect(obj).attrs.state.history.added
            if "available" in added:
                pending.append(("number", obj.msisdn, "number.released"))


def collect_recorded(session: Session, events: list[models.RequestEvent]) -> None:
    """Events written by one statement, outside the unit of work (a new request's history):
    collected as a flush would have collected them, in order."""
    pending: list[tuple[str, Any, str]] = session.info.setdefault(_PENDING, [])
    pending.extend(
        ("request", event.request_id, STATE_EVENTS[event.to_state])
        for event in events
        if event.to_state in STATE_EVENTS
    )


def _request_of_number(session: Session, msisdn: str) -> models.ClosureRequest | None:
    return session.execute(
        select(models.ClosureRequest)
        .join(models.Line, models.Line.id == models.ClosureRequest.line_id)
        .where(models.Line.msisdn == msisdn, models.Line.status == "closed")
        .order_by(models.ClosureRequest.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _forget(session: Session, *_: object) -> None:
    session.info.pop(_PENDING, None)


def install(sessions: sessionmaker[Session], deps: Deps) -> None:
    """Moves are collected as they flush and turned into deliveries just before the commit,
    where the session may still write: the deliveries commit with the move or not at all."""

    def emit(session: Session) -> None:
        pending = session.info.pop(_PENDING, [])
        known: Known = {}  # the subscriptions do not change while this commit emits
        for kind, key, event_type in pending:
            if kind == "request":
                request = session.get(models.ClosureRequest, key)
            else:
                request = _request_of_number(session, key)
            if request is not None:
                emit_event(session, deps, request, event_type, known)

    event.listen(sessions, "after_flush", _collect)
    event.listen(sessions, "before_commit", emit)
    event.listen(sessions, "after_rollback", _forget)
