"""Appending many audit entries at once, chained exactly as `audit.append` chains one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from lineclose.db.audit import _CHAIN_LOCK, GENESIS, entry_hash
from lineclose.db.models import AuditEntry


@dataclass(frozen=True)
class Entry:
    action: str
    entity: str
    entity_id: str
    details: dict[str, Any]


def append_many(session: Session, at: datetime, actor: str, entries: Sequence[Entry]) -> None:
    """One lock, one read of the chain's end, one batched insert; details must be masked."""
    if not entries:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    session.flush()
    prev = (
        session.execute(
            select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1).with_for_update()
        ).scalar_one_or_none()
        or GENESIS
    )
    rows = []
    for e in entries:
        digest = entry_hash(prev, at, actor, e.action, e.entity, e.entity_id, e.details)
        rows.append(
            {
                "at": at,
                "actor": actor,
                "action": e.action,
                "entity": e.entity,
                "entity_id": e.entity_id,
                "details": e.details,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    # Ids must follow the chain's order: executemany keeps the order rows are given in.
    session.execute(insert(AuditEntry.__table__), rows)  # type: ignore[arg-type]
