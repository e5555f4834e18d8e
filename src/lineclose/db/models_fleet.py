"""Fleet closures from a file: one batch under one fleet authorisation, reviewed as one."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from lineclose.db.models import Base


class FleetBatch(Base):
    """The authorised contact and the authorising document are recorded once, for every card."""

    __tablename__ = "fleet_batches"
    __table_args__ = (UniqueConstraint("operator_id", "source_digest"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    authorised_contact_enc: Mapped[str] = mapped_column(Text)
    authorised_contact_masked: Mapped[str] = mapped_column(String(200))
    authorising_document: Mapped[str] = mapped_column(String(200))
    source_digest: Mapped[str] = mapped_column(String(64))
    refund_account_enc: Mapped[str | None] = mapped_column(Text)
    submitted_by: Mapped[str] = mapped_column(String(80))
    total_rows: Mapped[int] = mapped_column(Integer)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class FleetBatchLine(Base):
    """One card of a batch: its precheck, the reviewer's decision, then its closure request."""

    __tablename__ = "fleet_batch_lines"
    __table_args__ = (
        UniqueConstraint("batch_id", "row_number"),
        Index("ix_fleet_batch_lines_batch_state_row", "batch_id", "state", "row_number"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("fleet_batches.id"))
    row_number: Mapped[int] = mapped_column(Integer)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), index=True)
    requested_date: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))
    blockers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    refund_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("closure_requests.id"))
    error: Mapped[str | None] = mapped_column(String(200))
