"""Plain facts about a line and what the requester wants: the input of every closure decision."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class LineStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSING = "closing"
    CLOSED = "closed"


class LineKind(StrEnum):
    SIM = "sim"
    ESIM = "esim"
    DATA_ONLY = "data-only"


class PaymentMode(StrEnum):
    PREPAID = "prepaid"
    POSTPAID = "postpaid"


class IdentityMethod(StrEnum):
    OTP = "otp"
    SERVICE_PASSWORD = "service_password"
    ID_NUMBER = "id_number"
    ID_DOCUMENT_SEEN = "id_document_seen"
    # A text from the line itself: possession, as far as the sender number can be trusted.
    SMS_ORIGIN = "sms_origin"
    # The enterprise's authorised contact and document, recorded once for a fleet batch.
    FLEET_AUTHORISATION = "fleet_authorisation"


class EtfRule(StrEnum):
    NONE = "none"
    FIXED = "fixed"
    # Monthly fee times remaining months plus a processing fee (the Philippine practice).
    REMAINING_MONTHS = "remaining_months"


@dataclass(frozen=True)
class UnpaidBill:
    bill_id: int
    amount_minor: int
    due_on: date


@dataclass(frozen=True)
class Contract:
    commitment_end: date
    etf_rule: EtfRule
    etf_fixed_minor: int = 0
    etf_monthly_minor: int = 0
    processing_fee_minor: int = 0


@dataclass(frozen=True)
class Binding:
    binding_id: int
    service: str
    category: str


@dataclass(frozen=True)
class OpenOrder:
    kind: str  # "port_out", "sim_swap", "closure"
    reference: str


@dataclass(frozen=True)
class LineFacts:
    msisdn: str
    kind: LineKind
    payment: PaymentMode
    status: LineStatus
    currency: str
    monthly_fee_minor: int = 0
    billing_day: int = 1
    paid_credit_minor: int = 0
    promo_credit_minor: int = 0
    unbilled_usage_minor: int = 0
    unpaid_bills: tuple[UnpaidBill, ...] = ()
    contract: Contract | None = None
    active_bindings: tuple[Binding, ...] = ()
    legal_hold: bool = False
    lost_reported: bool = False
    open_orders: tuple[OpenOrder, ...] = ()
    fleet: bool = False


@dataclass(frozen=True)
class ClosureIntent:
    requested_date: date | None = None
    accept_etf: bool = False
    acknowledged_binding_ids: frozenset[int] = field(default_factory=frozenset)
    identity_methods: frozenset[IdentityMethod] = field(default_factory=frozenset)
