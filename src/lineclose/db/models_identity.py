"""Sign-in and access: one-time code challenges, subscriber sessions, staff API tokens and the
database-held rate-limit windows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lineclose.db.models import Base


class OtpChallenge(Base):
    __tablename__ = "otp_challenges"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(24))
    code_hash: Mapped[str] = mapped_column(String(64))
    salt: Mapped[str] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class SubscriberSession(Base):
    __tablename__ = "subscriber_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id"))
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"))
    method: Mapped[str] = mapped_column(String(24))
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(16))  # a Role value
    scopes: Mapped[list[Any]] = mapped_column(default=list)  # integration tokens only
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    # Written at most once a minute per token: enough to tell a live token from a forgotten one.
    last_used_at: Mapped[datetime | None]
    hint: Mapped[str | None] = mapped_column(String(16))  # the token's first characters


class RateLimitCounter(Base):
    """One fixed window of one limit for one caller, shared by every API process via the database.

    The key is a keyed hash of the bucket, the caller and the window start, so no phone number or
    address is stored in it.
    """

    __tablename__ = "rate_limit_counters"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(index=True)
