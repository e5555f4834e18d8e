"""The append-only audit log, each entry chained to the previous by hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session, SessionTransaction

from lineclose.db.bulk_writes import insert_rows
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


_PENDING = "lineclose.audit_pending"


def append(
    session: Session,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    details: dict[str, Any] | None = None,
) -> None:
    """Details must already be masked: the audit log is shown to staff and kept for years.

    The entry is chained when the transaction commits (`_chain_at_commit`), so the chain is
    held for one insert, not for the whole transaction; a rolled-back transaction leaves none.
    """
    pending: list[dict[str, Any]] = session.info.setdefault(_PENDING, [])
    pending.append(
        {
            "at": at,
            "actor": actor,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "details": details or {},
        }
    )


def pending_mark(session: Session) -> int:
    """How many entries wait for commit: take it before a savepoint that may roll back."""
    return len(session.info.get(_PENDING, ()))


def discard_since(session: Session, mark: int) -> None:
    """Forget the entries appended after `mark` (their savepoint rolled back)."""
    del session.info.get(_PENDING, [])[mark:]


def rename_since(session: Session, mark: int, entity: str, old_id: str, new_id: str) -> None:
    """The entries appended after `mark` about entity `old_id` name `new_id` instead (an
    identifier drawn again before anything was written under the first one)."""
    for entry in session.info.get(_PENDING, [])[mark:]:
        if entry["entity"] == entity and entry["entity_id"] == old_id:
            entry["entity_id"] = new_id


@event.listens_for(Session, "before_commit")
def _chain_at_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    pending: list[dict[str, Any]] | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    # Row locks first: the chain lock below must never be waited on by a holder of row locks.
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        # Row locks cannot order appenders: two writers reading the same last entry would both
        # chain to it. One lock for the chain, taken here and released by this commit, can;
        # ids drawn under it are in chain order. (SQLite's write lock already orders commits.)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    last = session.execute(
        select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).scalar_one_or_none()
    prev = last or GENESIS
    rows = []
    for entry in pending:
        digest = entry_hash(
            prev,
            entry["at"],
            entry["actor"],
            entry["action"],
            entry["entity"],
            entry["entity_id"],
            entry["details"],
        )
        rows.append({**entry, "prev_hash": prev, "hash": digest})
        prev = digest
    # COPY on PostgreSQL (ids drawn in row order, under the lock), executemany on SQLite.
    insert_rows(session, AuditEntry, rows)


@event.listens_for(Session, "after_transaction_end")
def _forget_at_end(session: Session, transaction: SessionTransaction) -> None:
    # Committed entries were taken at commit; what is left belongs to a rolled-back transaction.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


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
