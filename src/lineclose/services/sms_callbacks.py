"""What the SMS gateway tells Lineclose: delivery reports of sent messages and inbound messages.

A delivery report is the gateway's word that it took a message, so it is also the evidence a
worker consults before deciding whether an interrupted send reached the gateway. Reports are
kept in their own table, one row per (message key, report type): that unique pair makes a
report the gateway repeats a no-op, and a lookup by message key is one index probe.
Inbound messages are stored with their text encrypted, for SMS keywords to read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.services.context import Deps

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


@dataclass(frozen=True)
class Recorded:
    new: bool
    known_message: bool


def record_delivery_report(session: Session, deps: Deps, report: Report) -> Recorded:
    """Keep a delivery report once. A report for a key Lineclose never sent is still kept
    (it may arrive before the sending step commits) and said to be unknown."""
    known = (
        session.execute(
            select(models.OutboxRow.id).where(
                models.OutboxRow.idempotency_key == report.message_key
            )
        ).scalar_one_or_none()
        is not None
    )
    existing = session.execute(
        select(models.DeliveryReport.id).where(
            models.DeliveryReport.message_key == report.message_key,
            models.DeliveryReport.report_type == report.report_type,
        )
    ).scalar_one_or_none()
    if existing is not None:
        return Recorded(new=False, known_message=known)
    session.add(
        models.DeliveryReport(
            message_key=report.message_key,
            report_type=report.report_type,
            status=report.status,
            reported_at=report.reported_at,
            smsc=report.smsc_id[:64] if report.smsc_id else None,
            received_at=deps.clock.now(),
        )
    )
    session.flush()
    return Recorded(new=True, known_message=known)


def delivery_reports(session: Session, message_key: str) -> list[dict[str, Any]]:
    """Every report kept for one message, earliest first."""
    rows = session.execute(
        select(models.DeliveryReport)
        .where(models.DeliveryReport.message_key == message_key)
        .order_by(models.DeliveryReport.id)
    ).scalars()
    return [
        {
            "status": row.status,
            "type": row.report_type,
            "reported_at": row.reported_at.isoformat() if row.reported_at else None,
            "smsc": row.smsc,
        }
        for row in rows
    ]


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
