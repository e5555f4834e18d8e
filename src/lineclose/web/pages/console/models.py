"""What each console page shows, as typed models; templates read their fields by name."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lineclose.services.reads.models import (
    AuditRow,
    BindingView,
    DeadLetter,
    LineSummary,
    QueueEntry,
    RequestView,
)
from lineclose.services.reads.review import ApprovalState, CurrentCheck
from lineclose.web.pages.signin import StaffBadge

EVIDENCE_METHODS = ("service_password", "id_number", "id_document_seen")
# What the agent looked at, recorded with the reset; the label is the catalogue msgid.
DOCUMENT_KINDS = {
    "resident_id_card": "Resident ID card",
    "passport": "Passport",
    "driving_licence": "Driving licence",
    "residence_permit": "Residence permit",
}


@dataclass(frozen=True)
class QueuePage:
    staff: StaffBadge
    items: list[QueueEntry]
    only_overdue: bool
    title: str


@dataclass(frozen=True)
class SearchPage:
    staff: StaffBadge
    lines: list[LineSummary]
    searched: bool
    error: str | None = None


@dataclass(frozen=True)
class UnpaidBill:
    amount_minor: int
    due_on: date


@dataclass(frozen=True)
class LinePage:
    """A line as staff see it, with the precheck for the choices in the form."""

    staff: StaffBadge
    line: LineSummary
    currency: str
    result: dict[str, Any]
    bindings: list[BindingView]
    bills: list[UnpaidBill]
    contract: dict[str, date] | None
    form: dict[str, Any]
    reasons: list[str]
    can_submit: bool
    can_reset_password: bool
    methods: tuple[str, ...] = EVIDENCE_METHODS
    document_kinds: dict[str, str] = field(default_factory=lambda: dict(DOCUMENT_KINDS))
    error: str | None = None
    error_field: str | None = None
    verified: list[str] | None = None
    # The server-side verification's handle; the secret the caller gave is never in the page.
    verification: str | None = None
    reset: dict[str, Any] = field(
        default_factory=lambda: {"document_seen": False, "document_kind": ""}
    )
    notice: str | None = None


@dataclass(frozen=True)
class RequestPage:
    staff: StaffBadge
    req: RequestView
    line: LineSummary
    currency: str
    timezone: str
    current: CurrentCheck | None
    audit: list[AuditRow]
    reasons: list[str]
    can_decide: bool
    approval: ApprovalState | None
    assigned_to: str | None
    can_assign: bool
    error: str | None = None
    error_field: str | None = None
    notice: str | None = None
    form: dict[str, Any] = field(default_factory=dict)
    document_kinds: dict[str, str] = field(default_factory=lambda: dict(DOCUMENT_KINDS))


@dataclass(frozen=True)
class OutboxPage:
    staff: StaffBadge
    rows: list[DeadLetter]
    error: str | None = None
    notice: str | None = None
