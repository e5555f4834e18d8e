"""What each portal page shows, as typed models; templates read their fields by name."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lineclose.services.reads.models import LineSummary, RequestView
from lineclose.web.pages.views import Step

Choices = dict[str, Any]


@dataclass(frozen=True)
class SignInPage:
    msisdn: str = ""
    error: str | None = None
    notice: str | None = None
    demo: bool = False


@dataclass(frozen=True)
class CodePage:
    sent_to: str
    error: str | None = None
    code: str = ""
    demo: bool = False


@dataclass(frozen=True)
class ResetPage:
    sent_to: str
    last_six: bool
    code: str = ""
    error: str | None = None
    error_field: str | None = None
    code_spent: bool = False
    demo: bool = False


@dataclass(frozen=True)
class ServicePasswordPage:
    has_password: bool
    error: str | None = None
    error_field: str | None = None
    notice: str | None = None


@dataclass(frozen=True)
class LinesPage:
    lines: list[LineSummary]


@dataclass(frozen=True)
class PayableBill:
    id: int
    amount_minor: int
    due_on: date
    reference: str


@dataclass(frozen=True)
class ChecklistBinding:
    id: int
    service: str
    category: str
    unbound_on: date | None
    acknowledged: bool


@dataclass(frozen=True)
class ChecklistContract:
    commitment_end: date
    in_term: bool
    etf_minor: int


@dataclass(frozen=True)
class ChecklistPage:
    """The precheck as a checklist: each blocker with its fix, the bound services, the quote."""

    line: LineSummary
    result: dict[str, Any]
    blocker_codes: list[str]
    other_blockers: list[dict[str, Any]]
    bills: list[PayableBill]
    bindings: list[ChecklistBinding]
    contract: ChecklistContract | None
    choices: Choices
    open_request: str | None
    currency: str
    form: dict[str, Any] = field(
        default_factory=lambda: {"refund_account": "", "alternate_contact": ""}
    )
    error: str | None = None
    error_field: str | None = None


REFRESH_SECONDS = {"submitted": 5, "approved": 5, "executing": 5, "under_review": 60}


@dataclass(frozen=True)
class ProgressPage:
    """Where a request stands, as five steps, with the reasons of a rejection."""

    req: RequestView
    line_id: int
    currency: str
    timezone: str
    steps: list[Step]
    rejection: list[dict[str, str]]
    req_ack: list[int]
    has_contract_blocker: bool
    term_end: bool
    form: dict[str, str] = field(default_factory=dict)
    error: str | None = None

    @property
    def refresh_seconds(self) -> int | None:
        """How soon the page reloads itself while the request moves without the subscriber:
        quickly while the worker acts, slowly under review; never while they have a form to
        fill (needs action, rejected) or once nothing more will happen."""
        return REFRESH_SECONDS.get(self.req.status)
