"""What TMF622 needs beyond the closure request: the order as posted (to echo it), its external
id, the cancel orders, the hub subscriptions, and how far its events have been sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lineclose.db.models import Base


class TmfProductOrder(Base):
    """A closure request created through TMF622. `posted_enc` is the order as posted, sealed by
    the vault (it may carry names and contacts), with identity evidence values removed and the
    refund account masked; `last_event_id` is the last request event turned into TMF events."""

    __tablename__ = "tmf_product_orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("closure_requests.id"), unique=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(120), index=True)
    posted_enc: Mapped[str] = mapped_column(Text)
    notified_state: Mapped[str | None] = mapped_column(String(24))
    last_event_id: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]


class TmfCancelOrder(Base):
    __tablename__ = "tmf_cancel_orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("tmf_product_orders.id"), index=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    state: Mapped[str] = mapped_column(String(24))
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    requested_cancellation_date: Mapped[str | None] = mapped_column(String(40))
    effective_cancellation_date: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]


class TmfHubSubscription(Base):
    """A listener registered on the hub; it hears the events of its operator's orders (every
    operator's when registered by staff bound to none)."""

    __tablename__ = "tmf_hub_subscriptions"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"), index=True)
    callback: Mapped[str] = mapped_column(String(500))
    query: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
