"""Delivery reports from the SMS gateway: its word that it took (or delivered) a message."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lineclose.db.models import Base


class DeliveryReport(Base):
    """One report per (message, report type): the gateway repeating a report changes nothing."""

    __tablename__ = "delivery_reports"
    __table_args__ = (
        UniqueConstraint("message_key", "report_type", name="uq_delivery_reports_message_type"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    message_key: Mapped[str] = mapped_column(String(120))
    report_type: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # delivered | failed | buffered
    reported_at: Mapped[datetime | None]
    smsc: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime]
