"""Staff verifications of a caller, kept on the server between the check and the submit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lineclose.db.models import Base


class CallerVerification(Base):
    """Which identity methods staff verified for a line; the page holds only a random handle
    (its digest is stored here), never the password or ID number that was checked."""

    __tablename__ = "caller_verifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), index=True)
    staff: Mapped[str] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(16))
    methods: Mapped[list[Any]]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
