"""Tables for money and records leaving Lineclose: refund payouts, debts, webhook subscriptions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lineclose.db.models import Base


class PayoutAccount(Base):
    """The operator's own account refunds are paid from, one per currency (not personal data)."""

    __tablename__ = "payout_accounts"
    __table_args__ = (UniqueConstraint("operator_id", "currency"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    currency: Mapped[str] = mapped_column(String(3))
    name: Mapped[str] = mapped_column(String(140))
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str] = mapped_column(String(11))
    created_at: Mapped[datetime]


class RefundBatch(Base):
    """One payout file handed to the bank. The file holds account numbers, so only its name and
    digest are kept here; the file itself lives in the payout folder."""

    __tablename__ = "refund_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(35), unique=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    file_format: Mapped[str] = mapped_column(String(16))  # pain.001 | csv
    file_name: Mapped[str] = mapped_column(String(200))
    file_sha256: Mapped[str] = mapped_column(String(64))
    refund_count: Mapped[int] = mapped_column(Integer)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]


class RefundPayment(Base):
    """One attempt to pay a refund, in one batch, under its own end-to-end id: a returned
    refund is paid again under a new id, so the bank's answers never mix attempts."""

    __tablename__ = "refund_payments"
    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("refund_instructions.id"), index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("refund_batches.id"), index=True)
    end_to_end_id: Mapped[str] = mapped_column(String(35), unique=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))  # batched | paid | returned
    return_reason: Mapped[str | None] = mapped_column(String(200))
    settled_at: Mapped[datetime | None]
    settled_by: Mapped[str | None] = mapped_column(String(80))


class Debt(Base):
    """An amount still due after a closure's settlement: written off or handed to collection."""

    __tablename__ = "debts"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("closure_requests.id"), unique=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))  # written_off | collection | paid
    reason: Mapped[str] = mapped_column(String(200))
    pay_reference: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime]
    settled_at: Mapped[datetime | None]


class WebhookSubscription(Base):
    """A receiver of closure events: the operator's own system (no `service`) or a service bound
    to its subscribers' numbers (`service` names the binding's service)."""

    __tablename__ = "webhook_subscriptions"
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    service: Mapped[str | None] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(500))
    secret_enc: Mapped[str] = mapped_column(Text)
    event_types: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
