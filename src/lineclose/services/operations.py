"""Operations staff work on: dead letters and uncertain steps of the outbox."""

from __future__ import annotations

from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.domain.outbox import OutboxStatus
from lineclose.errors import Conflict, Forbidden, NotFound
from lineclose.services.context import Actor, Deps, Role


def retry_dead_letter(session: Session, deps: Deps, actor: Actor, row_id: int) -> None:
    """Put a dead or uncertain step back in the queue; its idempotency key is kept so the vendor
    can dedupe. Retrying an uncertain notice is staff's decision to send it (again): its attempt
    mark is cleared, so the gateway is called even if an earlier call reached it."""
    if actor.role not in (Role.ADMIN, Role.REVIEWER):
        raise Forbidden("only reviewers and admins retry dead letters", code="forbidden")
    row = session.get(models.OutboxRow, row_id)
    if row is None:
        raise NotFound("no such outbox step", code="unknown_step")
    if row.status not in (OutboxStatus.DEAD, OutboxStatus.UNCERTAIN):
        raise Conflict(f"the step is {row.status}, not dead or uncertain", code="not_dead")
    now = deps.clock.now()
    was = row.status
    if was == OutboxStatus.UNCERTAIN:
        row.result = None
    row.status = OutboxStatus.PENDING
    row.attempts = 0
    row.available_at = now
    row.locked_until = None
    audit.append(
        session,
        now,
        actor.label,
        "outbox.retried",
        "outbox",
        str(row.id),
        {"step": row.step, "was": was},
    )
