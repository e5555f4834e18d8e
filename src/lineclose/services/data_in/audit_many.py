"""Appending many audit entries at once, chained exactly as `audit.append` chains one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lineclose.db import audit


@dataclass(frozen=True)
class Entry:
    action: str
    entity: str
    entity_id: str
    details: dict[str, Any]


def append_many(session: Session, at: datetime, actor: str, entries: Sequence[Entry]) -> None:
    """Details must be masked. The entries join the transaction's pending audit entries, which
    are chained at commit with one read of the chain's end and one batched insert."""
    for e in entries:
        audit.append(session, at, actor, e.action, e.entity, e.entity_id, e.details)
