"""Tables of the SMS keyword channel and of idle-line reminders."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lineclose.db.models import Base


class SmsChannelSetting(Base):
    """An operator's SMS keyword channel: the short code subscribers text, and its overrides of
    the profile's keyword lists and of whether a text from the line alone proves identity."""

    __tablename__ = "sms_channel_settings"
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), primary_key=True)
    short_code: Mapped[str] = mapped_column(String(20), unique=True)
    keywords: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sms_origin_accepted: Mapped[bool | None] = mapped_column(Boolean)
    updated_at: Mapped[datetime]


class SmsOptOut(Base):
    """A line that texted STOP: it gets no more reminders (closure notices still go)."""

    __tablename__ = "sms_opt_outs"
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), primary_key=True)
    opted_out_at: Mapped[datetime]


class IdleReminder(Base):
    """One reminder per idle line per period: the unique pair makes a repeated sweep a no-op."""

    __tablename__ = "idle_reminders"
    __table_args__ = (UniqueConstraint("line_id", "period_start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    last_usage_on: Mapped[date | None] = mapped_column(Date)
    monthly_fee_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    sent_at: Mapped[datetime]
