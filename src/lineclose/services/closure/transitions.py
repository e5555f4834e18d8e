"""The one place a closure request's status changes, and the follow-ups a change enqueues."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from lineclose.db import audit, models, outbox
from lineclose.domain.outbox import Step
from lineclose.domain.states import Command, RequestState, TransitionRefused, next_state
from lineclose.errors import TransitionNotAllowed
from lineclose.services.closure.recording import line_notice, recording_of
from lineclose.services.context import Actor, Deps
from lineclose.services.notices import enqueue_sms
from lineclose.services.tmf622 import hub as tmf_hub

BEGIN_EXECUTION = Step.BEGIN_EXECUTION


def transition(
    session: Session,
    deps: Deps,
    request: models.ClosureRequest,
    command: Command,
    actor: Actor,
    reason: dict[str, Any] | None = None,
    new_request: bool = False,
) -> models.RequestEvent:
    """The one place a request's status changes: checks the table, stamps, records history and audit.

    A request being created (`recording.new_request`) keeps its history in its recording, to
    be written with the request; an existing one's event is flushed at once."""
    current = None if new_request else RequestState(request.status)
    try:
        target = next_state(current, command)
    except TransitionRefused as exc:
        hint = (
            " (the closure is already executing: past the point of no return)"
            if current in (RequestState.EXECUTING, RequestState.CLOSED)
            else ""
        )
        raise TransitionNotAllowed(
            str(exc) + hint, state=current.value if current else None
        ) from exc
    now = deps.clock.now()
    request.status = target.value
    request.updated_at = now
    event = models.RequestEvent(
        request_id=request.id,
        from_state=current.value if current else None,
        to_state=target.value,
        command=command.value,
        actor=actor.label,
        channel=actor.channel.value,
        reason=reason or {},
        at=now,
    )
    recording = recording_of(session, request)
    if recording is None:
        session.add(event)
        session.flush()
    else:
        recording.events.append(event)
    audit.append(
        session,
        now,
        actor.label,
        f"request.{command.value}",
        "closure_request",
        request.reference,
        {
            "from": event.from_state,
            "to": target.value,
            "channel": actor.channel.value,
            **(reason or {}),
        },
    )
    if recording is None:
        # Orders placed through TMF622 tell their hub listeners in this same transaction.
        tmf_hub.announce(session, deps, request.id)
    return event


def notify_line(
    session: Session,
    deps: Deps,
    request: models.ClosureRequest,
    notice: str,
    event: models.RequestEvent,
    **values: Any,
) -> None:
    """An SMS about the request to the line itself, keyed by the event so it is sent once.

    `event` is the one just recorded: no notice can have its key yet, so none is looked for. A
    request being created keeps the notice in its recording (the event has no id yet).
    """
    recording = recording_of(session, request)
    if recording is not None:
        recording.notices.append((event, notice, values))
        return
    enqueue_sms(session, deps, **line_notice(request, event.id, notice, values), new_key=True)


def start_execution(session: Session, deps: Deps, request: models.ClosureRequest) -> None:
    recording = recording_of(session, request)
    if recording is not None:
        recording.steps.append(BEGIN_EXECUTION)
        return
    outbox.enqueue(
        session,
        deps.clock.now(),
        BEGIN_EXECUTION,
        f"{request.id}:{BEGIN_EXECUTION}",
        request_id=request.id,
    )
