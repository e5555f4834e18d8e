"""What the SMS gateway tells Lineclose: delivery reports of sent messages and inbound messages.

A delivery report is the gateway's word that it took a message, so it is also the evidence a
worker consults before deciding whether an interrupted send reached the gateway. Reports are
kept as finished outbox rows of step `sms_delivery_report`, keyed `dlr:<message key>:<type>`:
the unique key makes a report the gateway repeats a no-op, and a lookup by message key is one
index probe. Inbound messages are stored with their text encrypted, for SMS keywords to read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import models, outbox
from lineclose.services.context import Deps

DELIVERY_REPORT = "sms_delivery_report"

# The gateway's report types (Kannel's dlr-mask bits): delivered, undelivered, buffered,
# accepted by the SMSC, refused by the SMSC. Any of them proves the gateway took the message.
REPORT_TYPES = (1, 2, 4, 8, 16)


@dataclass(frozen=True)
class Report:
    message_key: str
    report_type: int
    status: str  # delivered | failed | buffered
    reported_at: datetime | None
    smsc_id: str | None


@dataclass(frozen=True)
class Inbound:
    sender: str
    receiver: str
    text: str
    received_at: datetime | None


def report_key(message_key: str, kannel_type: int) -> str:
    return f"dlr:{message_key}:{kannel_type}"


@dataclass(frozen=True)
class Recorded:
    new: bool
    known_message: bool


def record_delivery_report(session: Session, deps: Deps, report: Report) -> Recorded:
    """Keep a delivery report once. A report for a key Lineclose never sent is still kept
    (it may arrive before the sending step commits) and said to be unknown."""
    now = deps.clock.now()
    key = report_key(report.message_key, report.report_type)
    known = (
        session.execute(
            select(models.OutboxRow.id).where(
                models.OutboxRow.idempotency_key == report.message_key
            )
        ).scalar_one_or_none()
        is not None
    )
    existing = session.execute(
        select(models.OutboxRow.id).where(models.OutboxRow.idempotency_key == key)
    ).scalar_one_or_none()
    if existing is not None:
        return Recorded(new=False, known_message=known)
    row = outbox.enqueue(session, now, DELIVERY_REPORT, key, {"message_key": report.message_key})
    row.status = "done"
    row.done_at = now
    row.result = {
        "status": report.status,
        "type": report.report_type,
        "reported_at": report.reported_at.isoformat() if report.reported_at else None,
        "smsc": report.smsc_id,
    }
    return Recorded(new=True, known_message=known)


def delivery_reports(session: Session, message_key: str) -> list[dict[str, Any]]:
    """Every report kept for one message, earliest first."""
    rows = session.execute(
        select(models.OutboxRow)
        .where(
            models.OutboxRow.idempotency_key.in_([report_key(message_key, t) for t in REPORT_TYPES])
        )
        .order_by(models.OutboxRow.id)
    ).scalars()
    return [dict(row.result or {}) for row in rows]


def store_inbound(session: Session, deps: Deps, inbound: Inbound) -> models.InboundSms:
    """Keep an inbound message; its text is personal data and is stored encrypted."""
    row = models.InboundSms(
        sender=inbound.sender[:20],
        receiver=inbound.receiver[:20],
        text_enc=deps.vault.encrypt(inbound.text),
        received_at=inbound.received_at or deps.clock.now(),
    )
    session.add(row)
    session.flush()
    return row
