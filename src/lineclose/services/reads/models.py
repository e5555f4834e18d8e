"""The typed views the read layer returns: masked, frozen, JSON-ready."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class View(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)


class HistoryEntry(View):
    at: str
    from_state: str | None = Field(alias="from")
    to: str
    command: str
    actor: str = Field(description="the role only: staff names stay internal")
    channel: str
    reason: dict[str, Any] = Field(default_factory=dict)


class RefundView(View):
    amount_minor: int
    currency: str
    account: str
    status: str


class RequestView(View):
    """A closure request as its requester and staff see it, with what happens next."""

    reference: str
    status: str
    msisdn: str
    channel: str
    submitted_at: str
    review_due_on: str | None
    overdue: bool = Field(description="under review past the due date, in the operator's day")
    escalated: bool
    scheduled_for: str | None
    requested_date: str | None
    accept_etf: bool
    identity_methods: list[str]
    identity_document: str | None = Field(
        default=None, description="the kind of ID document store staff saw, if any"
    )
    blockers: list[dict[str, Any]] | None
    rejection: dict[str, Any] | None
    quote: dict[str, Any] | None
    refund_account: str | None
    alternate_contact: str | None
    refund: RefundView | None
    certificate_code: str | None
    next_step: str
    can_withdraw: bool
    version: int
    history: list[HistoryEntry]


class RequestDetail(View):
    """A request with what the pages add around it: its line, money and clock."""

    view: RequestView
    line_id: int
    operator: str
    currency: str
    timezone: str
    today: str = Field(description="the operator's local day")
    acknowledged_bindings: list[int]
    contract_end: date | None = Field(description="the end of the line's minimum term, if any")


class QueueEntry(View):
    request: RequestView
    operator: str
    currency: str


class AuditRow(View):
    at: datetime
    actor: str
    action: str
    details: str
    items: list[tuple[str, str]] = Field(
        default_factory=list, description="the details as (name, value) pairs, for translation"
    )


class RequestSummary(View):
    reference: str
    status: str


class LineSummary(View):
    id: int
    msisdn: str
    iccid: str
    holder_id: str
    kind: str
    payment: str
    status: str
    operator: str
    operator_id: int
    fleet: str | None
    lost: bool
    currency: str
    locale: str
    request: RequestSummary | None


class BillView(View):
    id: int
    kind: str
    amount_minor: int
    due_on: date
    paid: bool


class BindingView(View):
    id: int
    service: str
    category: str
    unbound_on: date | None


class ContractView(View):
    commitment_end: date
    in_term: bool


class LineOverview(View):
    """A line with its bills, bound services and contract, as staff and its holder see it.

    `number` is the number in clear for calling services with; it is never rendered or
    serialised."""

    summary: LineSummary
    profile: str
    number: str = Field(repr=False, exclude=True)
    bills: list[BillView]
    bindings: list[BindingView]
    contract: ContractView | None
    open_request: str | None

    @property
    def unpaid_bills(self) -> list[BillView]:
        return [b for b in self.bills if not b.paid]


class DeadLetter(View):
    id: int
    step: str
    key: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime


class NumberState(View):
    msisdn: str
    state: str
    aging_until: str | None
    last_disconnected_on: str | None
