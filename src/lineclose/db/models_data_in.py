"""Tables for data coming in from an operator's own systems: what each source last said, and the
facts that have no place on the closure tables (holds with their reason, last usage, settings)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lineclose.db.models import Base


class SourceRecord(Base):
    """What the operator's system last told us about one record, as keyed digests (no values):
    a repeated row is recognised as unchanged and a changed one says which fields moved."""

    __tablename__ = "source_records"
    __table_args__ = (UniqueConstraint("operator_id", "kind", "source_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    kind: Mapped[str] = mapped_column(String(24))
    source_key: Mapped[str] = mapped_column(String(120))
    entity_id: Mapped[int | None]
    digest: Mapped[str] = mapped_column(String(64))
    field_digests: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]


class LineActivity(Base):
    __tablename__ = "line_activity"
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), primary_key=True)
    last_usage_on: Mapped[date] = mapped_column(Date)


class LegalHold(Base):
    """A freeze placed by an authority; who asked is personal data, so it is sealed."""

    __tablename__ = "legal_holds"
    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), unique=True)
    reason: Mapped[str] = mapped_column(String(200))
    requested_by_enc: Mapped[str | None] = mapped_column(Text)
    placed_on: Mapped[date] = mapped_column(Date)
    lifted_on: Mapped[date | None] = mapped_column(Date)


class OperatorSettings(Base):
    __tablename__ = "operator_settings"
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), primary_key=True)
    notifications: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]
