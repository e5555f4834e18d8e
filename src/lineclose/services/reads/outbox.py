"""The outbox steps staff must look at: dead letters and uncertain notices."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.errors import NotFound
from lineclose.services.access import Action, ensure
from lineclose.services.context import Actor
from lineclose.services.reads.models import DeadLetter

GIVEN_UP = ("dead", "uncertain")


def dead_letters(
    session: Session, actor: Actor, statuses: Collection[str] = GIVEN_UP
) -> list[DeadLetter]:
    """Steps given up on, oldest first. `dead` ones failed; `uncertain` ones may or may not have
    reached their gateway. Staff bound to an operator see only steps of that operator's
    requests; steps of no request (operator-wide chores) only unbound staff see."""
    ensure(actor, Action.OUTBOX)
    wanted = [s for s in statuses if s in GIVEN_UP]
    query = (
        select(models.OutboxRow)
        .where(models.OutboxRow.status.in_(wanted))
        .order_by(models.OutboxRow.id)
    )
    if actor.operator_id is not None:
        query = query.join(
            models.ClosureRequest, models.ClosureRequest.id == models.OutboxRow.request_id
        ).where(models.ClosureRequest.operator_id == actor.operator_id)
    return [
        DeadLetter(
            id=r.id,
            step=r.step,
            key=r.idempotency_key,
            status=r.status,
            attempts=r.attempts,
            last_error=r.last_error,
            created_at=r.created_at,
        )
        for r in session.execute(query).scalars()
    ]


def ensure_can_touch_step(session: Session, actor: Actor, row_id: int) -> None:
    """A step of another operator is unknown to staff bound to one operator (404, not 403:
    its existence is not theirs to learn)."""
    ensure(actor, Action.OUTBOX)
    row = session.get(models.OutboxRow, row_id)
    if row is None:
        raise NotFound("no such outbox step", code="unknown_step")
    if actor.operator_id is None:
        return
    request = session.get(models.ClosureRequest, row.request_id) if row.request_id else None
    if request is None or request.operator_id != actor.operator_id:
        raise NotFound("no such outbox step", code="unknown_step")
