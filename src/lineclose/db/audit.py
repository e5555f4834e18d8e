"""The append-only audit log, each entry chained to the previous by hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from lineclose.db.models import AuditEntry

GENESIS = "0" * 64
_CHAIN_LOCK = 0x4C43_4155  # "LCAU": the advisory lock that orders appends to the chain


def entry_hash(
    prev_hash: str,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    details: dict[str, Any],
) -> str:
    body = json.dumps(
        [prev_hash, at.isoformat(), actor, action, entity, entity_id, details],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def append(
    session: Session,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Details must already be masked: the audit log is shown to staff and kept for years."""
    details = details or {}
    if session.get_bind().dialect.name == "postgresql":
        # Row locks cannot order appenders: two writers waiting on the same last entry would
        # both chain to it once it commits. One lock for the chain, held to commit, can.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    last = session.execute(
        select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1).with_for_update()
    ).scalar_one_or_none()
    prev = last or GENESIS
    entry = AuditEntry(
        at=at,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        details=details,
        prev_hash=prev,
        hash=entry_hash(prev, at, actor, action, entity, entity_id, details),
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_id: int | None
    problem: str | None


def verify_chain(session: Session) -> ChainReport:
    prev = GENESIS
    checked = 0
    for entry in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars():
        checked += 1
        if entry.prev_hash != prev:
            return ChainReport(checked, entry.id, "link to the previous entry does not match")
        expected = entry_hash(
            prev, entry.at, entry.actor, entry.action, entry.entity, entry.entity_id, entry.details
        )
        if expected != entry.hash:
            return ChainReport(checked, entry.id, "entry content does not match its hash")
        prev = entry.hash
    return ChainReport(checked, None, None)
