"""A new request's whole submission, written at once.

While a request is being created its transitions, notices and follow-up steps are kept here
instead of being flushed one by one; `write` then records them in two statements (its history
by one INSERT .. RETURNING, its outbox rows by one more) once the request's row is in, and
hands the history to the webhook collector as a flush would have. The request's row itself is
inserted already in the state the submission left it in, so it is written once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from lineclose.db import models, outbox
from lineclose.domain.identifiers import mask_msisdn
from lineclose.services.context import Deps
from lineclose.services.language import line_locale
from lineclose.services.notices import notice_row
from lineclose.services.webhooks.hooks import collect_recorded

_NEW_REQUESTS = "lineclose.new_requests"
_EVENTS = models.RequestEvent.metadata.tables[models.RequestEvent.__tablename__]
_EVENT_COLUMNS = ("from_state", "to_state", "command", "actor", "channel", "reason", "at")
# RETURNING in the rows' order: PostgreSQL's form for it is one statement; SQLite's is one
# statement per row, so there the ids come back unordered from one statement and are sorted
# (SQLite numbers the rows of one INSERT in their order).
_INSERT_EVENTS = {
    ordered: insert(_EVENTS).returning(_EVENTS.c.id, sort_by_parameter_order=ordered)
    for ordered in (False, True)
}


@dataclass
class Recording:
    """What a new request's submission did, in order, not written yet."""

    events: list[models.RequestEvent] = field(default_factory=list)
    # Notices to the line: the event each follows (its id names the notice), name and values.
    notices: list[tuple[models.RequestEvent, str, dict[str, Any]]] = field(default_factory=list)
    # Outbox steps keyed by the request alone (such as beginning its execution).
    steps: list[str] = field(default_factory=list)


@contextmanager
def new_request(session: Session, request: models.ClosureRequest) -> Iterator[Recording]:
    """While `request` is being created, its transitions are recorded here, not flushed."""
    recordings: dict[int, Recording] = session.info.setdefault(_NEW_REQUESTS, {})
    recording = recordings[id(request)] = Recording()
    try:
        yield recording
    finally:
        recordings.pop(id(request), None)


def recording_of(session: Session, request: models.ClosureRequest) -> Recording | None:
    """The recording of a request being created, or None for a request already in the database."""
    recordings: dict[int, Recording] | None = session.info.get(_NEW_REQUESTS)
    return recordings.get(id(request)) if recordings else None


def write(
    session: Session, deps: Deps, request: models.ClosureRequest, recording: Recording
) -> None:
    """Write what was recorded for `request`, whose row is in: its history in one statement
    (ids back in order), then its notices and steps in one more."""
    if not recording.events:
        return
    rows = [
        {
            "request_id": request.id,
            **{name: getattr(event, name) for name in _EVENT_COLUMNS},
        }
        for event in recording.events
    ]
    connection = session.connection()
    postgresql = connection.dialect.name == "postgresql"
    ids = connection.execute(_INSERT_EVENTS[postgresql], rows).scalars().all()
    if not postgresql:
        ids = sorted(ids)
    for event, event_id in zip(recording.events, ids, strict=True):
        event.id = event_id
        event.request_id = request.id
    steps = [
        notice_row(deps, **line_notice(request, event.id, notice, values), email=False)
        for event, notice, values in recording.notices
    ]
    steps.extend(
        {"step": step, "key": f"{request.id}:{step}", "request_id": request.id}
        for step in recording.steps
    )
    outbox.enqueue_many(session, deps.clock.now(), steps)
    collect_recorded(session, recording.events)


def line_notice(
    request: models.ClosureRequest, event_id: int, notice: str, values: dict[str, Any]
) -> dict[str, Any]:
    """What an SMS about `request` to its own line says and where it goes, keyed by the event
    it follows so that it is sent once."""
    line = request.line
    return {
        "key": f"{request.id}:notice:{notice}:{event_id}",
        "to": line.msisdn,
        "notice": notice,
        "locale": line_locale(line),
        "values": {
            "reference": request.reference,
            "msisdn": mask_msisdn(line.msisdn),
            "operator": line.operator.name,
            **values,
        },
        "request_id": request.id,
    }
