"""Tables of the system of record. Personal data lives only in `*_enc` columns (AES-GCM)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from lineclose.db.types import UtcDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Operator(Base):
    __tablename__ = "operators"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    profile: Mapped[str] = mapped_column(String(8))
    profile_overrides: Mapped[dict[str, Any]] = mapped_column(default=dict)
    auto_approval: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class CalendarOverride(Base):
    __tablename__ = "calendar_overrides"
    __table_args__ = (UniqueConstraint("country", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    day: Mapped[date] = mapped_column(Date)
    working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(200), default="")


class Subscriber(Base):
    __tablename__ = "subscribers"
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    kind: Mapped[str] = mapped_column(String(16), default="personal")
    name_enc: Mapped[str | None] = mapped_column(Text)
    id_number_enc: Mapped[str | None] = mapped_column(Text)
    id_number_index: Mapped[str | None] = mapped_column(String(64), index=True)
    id_number_masked: Mapped[str | None] = mapped_column(String(40))
    email_enc: Mapped[str | None] = mapped_column(Text)
    service_password_hash: Mapped[str | None] = mapped_column(String(200))
    # zh_CN or en, chosen once; None follows the operator's default language.
    language: Mapped[str | None] = mapped_column(String(8))
    erased_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


IN_SERVICE = text("status != 'closed'")


class Line(Base):
    """A number belongs to one line in service at a time; closed lines keep it for the record,
    so an aged number can be given to a new line while its old closure stays verifiable."""

    __tablename__ = "lines"
    __table_args__ = (
        Index(
            "uq_lines_msisdn_in_service",
            "msisdn",
            unique=True,
            sqlite_where=IN_SERVICE,
            postgresql_where=IN_SERVICE,
        ),
        # The idle sweep: an operator's lines in service by last use (migration 0013).
        Index("ix_lines_operator_status_last_usage", "operator_id", "status", "last_usage_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id"), index=True)
    msisdn: Mapped[str] = mapped_column(String(16), index=True)
    iccid: Mapped[str] = mapped_column(String(20), unique=True)
    imsi: Mapped[str] = mapped_column(String(15), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    payment: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    monthly_fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    billing_day: Mapped[int] = mapped_column(Integer, default=1)
    paid_credit_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    promo_credit_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    unbilled_usage_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    lost_reported: Mapped[bool] = mapped_column(Boolean, default=False)
    fleet_account: Mapped[str | None] = mapped_column(String(64))
    activated_on: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime | None]
    last_usage_on: Mapped[date | None] = mapped_column(Date, index=True)

    subscriber: Mapped[Subscriber] = relationship()
    operator: Mapped[Operator] = relationship()


class Bill(Base):
    __tablename__ = "bills"
    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="periodic")  # periodic | final
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    due_on: Mapped[date] = mapped_column(Date)
    paid_at: Mapped[datetime | None]
    lines_json: Mapped[list[Any]] = mapped_column(default=list)


class Payment(Base):
    __tablename__ = "payments"
    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), index=True)
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bills.id"))
    kind: Mapped[str] = mapped_column(String(16))  # bill | topup
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]


class Contract(Base):
    __tablename__ = "contracts"
    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), unique=True)
    commitment_end: Mapped[date] = mapped_column(Date)
    etf_rule: Mapped[str] = mapped_column(String(24))
    etf_fixed_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    etf_monthly_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    processing_fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)


class Binding(Base):
    __tablename__ = "bindings"
    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), index=True)
    service: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(32))  # payment | bank | social | other
    notify_on_closure: Mapped[bool] = mapped_column(Boolean, default=False)
    notify_email: Mapped[str | None] = mapped_column(String(200))
    notify_url: Mapped[str | None] = mapped_column(String(300))
    bound_on: Mapped[date] = mapped_column(Date)
    unbound_on: Mapped[date | None] = mapped_column(Date)


class OpenOrder(Base):
    """Orders on a line other than closure (port-out, SIM swap) that block a closure while open."""

    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(16))  # open | done | cancelled
    created_at: Mapped[datetime]


class Number(Base):
    __tablename__ = "numbers"
    msisdn: Mapped[str] = mapped_column(String(16), primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    state: Mapped[str] = mapped_column(String(16), index=True)
    aging_until: Mapped[date | None] = mapped_column(Date, index=True)
    last_disconnected_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime]


class Disconnection(Base):
    """Every permanent disconnection, never removed: the answer to reassigned-number checks."""

    __tablename__ = "disconnections"
    id: Mapped[int] = mapped_column(primary_key=True)
    msisdn: Mapped[str] = mapped_column(String(16), index=True)
    disconnected_on: Mapped[date] = mapped_column(Date)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("closure_requests.id"))


class ClosureRequest(Base):
    __tablename__ = "closure_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    submitted_by: Mapped[str] = mapped_column(String(80))
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    payload_digest: Mapped[str] = mapped_column(String(64))
    requested_date: Mapped[date | None] = mapped_column(Date)
    accept_etf: Mapped[bool] = mapped_column(Boolean, default=False)
    acknowledged_bindings: Mapped[list[Any]] = mapped_column(default=list)
    identity_methods: Mapped[list[Any]] = mapped_column(default=list)
    identity_document: Mapped[str | None] = mapped_column(String(32))
    refund_account_enc: Mapped[str | None] = mapped_column(Text)
    refund_account_masked: Mapped[str | None] = mapped_column(String(64))
    alternate_contact_enc: Mapped[str | None] = mapped_column(Text)
    alternate_contact_masked: Mapped[str | None] = mapped_column(String(200))
    blockers: Mapped[list[Any]] = mapped_column(default=list)
    rejection: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    quote: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    decision_note: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime]
    review_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    escalated_at: Mapped[datetime | None]
    scheduled_for: Mapped[date | None] = mapped_column(Date, index=True)
    assigned_to: Mapped[str | None] = mapped_column(String(80))
    closed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    line: Mapped[Line] = relationship()
    operator: Mapped[Operator] = relationship()

    __mapper_args__ = {"version_id_col": version}


class RequestEvent(Base):
    __tablename__ = "request_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("closure_requests.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    command: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(16))
    reason: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime]


class AuditEntry(Base):
    """Append-only; each entry's hash covers the previous one, so an edit breaks the chain."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(48))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(40))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class OutboxRow(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "available_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("closure_requests.id"), index=True)
    step: Mapped[str] = mapped_column(String(32))  # a domain.outbox.Step
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # A domain.outbox.OutboxStatus: pending | done | dead | uncertain.
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    locked_by: Mapped[str | None] = mapped_column(String(80))
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class RefundInstruction(Base):
    __tablename__ = "refund_instructions"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("closure_requests.id"), unique=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    account_enc: Mapped[str | None] = mapped_column(Text)  # erased by the retention sweep
    account_masked: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # instructed | batched | paid | returned
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime]
    # Payouts (migration 0006): the disposition of a refund under the bank's minimum, the
    # outcome of its last payment, and the one-time link that takes a new account after a return.
    disposition: Mapped[str] = mapped_column(String(16), default="payout")
    updated_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    return_reason: Mapped[str | None] = mapped_column(String(200))
    account_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    account_token_expires_at: Mapped[datetime | None]


class Certificate(Base):
    __tablename__ = "certificates"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("closure_requests.id"), unique=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    issued_at: Mapped[datetime]
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)


class HlrRegistryEntry(Base):
    """The built-in line registry that stands in for an HLR on the embedded default."""

    __tablename__ = "hlr_registry"
    imsi: Mapped[str] = mapped_column(String(15), primary_key=True)
    msisdn: Mapped[str | None] = mapped_column(String(16))
    network_access: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime]


class InboundSms(Base):
    __tablename__ = "inbound_sms"
    id: Mapped[int] = mapped_column(primary_key=True)
    sender: Mapped[str] = mapped_column(String(20))
    receiver: Mapped[str] = mapped_column(String(20))
    text_enc: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]


# Models in their own modules register on Base when this module is imported.
from lineclose.db import models_channels as models_channels  # noqa: E402
from lineclose.db import models_data_in as models_data_in  # noqa: E402
from lineclose.db import models_fleet as models_fleet  # noqa: E402
from lineclose.db import models_money as models_money  # noqa: E402  (payouts, debts, webhooks)
from lineclose.db import models_sweeps as _models_sweeps  # noqa: E402,F401
from lineclose.db import models_tmf622 as models_tmf622  # noqa: E402  (TMF622 tables)
from lineclose.db.models_caller import CallerVerification as CallerVerification  # noqa: E402
from lineclose.db.models_delivery import DeliveryReport as DeliveryReport  # noqa: E402
from lineclose.db.models_identity import ApiToken as ApiToken  # noqa: E402
from lineclose.db.models_identity import OtpChallenge as OtpChallenge  # noqa: E402
from lineclose.db.models_identity import RateLimitCounter as RateLimitCounter  # noqa: E402
from lineclose.db.models_identity import SubscriberSession as SubscriberSession  # noqa: E402
from lineclose.db.models_staff_sessions import StaffSession as StaffSession  # noqa: E402
