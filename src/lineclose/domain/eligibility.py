"""Precheck: every reason a line cannot be closed yet, each with its remedy, all at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from lineclose.domain.calendars import WorkingCalendar
from lineclose.domain.facts import ClosureIntent, IdentityMethod, LineFacts, LineKind, LineStatus
from lineclose.domain.profiles import JurisdictionProfile
from lineclose.domain.settlement import Quote, early_termination_fee, quote


class BlockerCode(StrEnum):
    ARREARS = "ARREARS"
    COMMITMENT_ACTIVE = "COMMITMENT_ACTIVE"
    BINDINGS_PRESENT = "BINDINGS_PRESENT"
    IDENTITY_NOT_VERIFIED = "IDENTITY_NOT_VERIFIED"
    LINE_NOT_ACTIVE = "LINE_NOT_ACTIVE"
    OPEN_ORDER = "OPEN_ORDER"
    LEGAL_HOLD = "LEGAL_HOLD"
    LOST_REPORTED = "LOST_REPORTED"


class RemedyCode(StrEnum):
    PAY_ARREARS = "PAY_ARREARS"
    ACCEPT_ETF = "ACCEPT_ETF"
    SCHEDULE_AT_TERM_END = "SCHEDULE_AT_TERM_END"
    UNBIND = "UNBIND"
    ACKNOWLEDGE_BINDINGS = "ACKNOWLEDGE_BINDINGS"
    VERIFY_IDENTITY = "VERIFY_IDENTITY"
    VERIFY_ID_DOCUMENT_IN_STORE = "VERIFY_ID_DOCUMENT_IN_STORE"
    WAIT_FOR_ORDER = "WAIT_FOR_ORDER"
    CONTACT_SUPPORT = "CONTACT_SUPPORT"
    NONE = "NONE"


@dataclass(frozen=True)
class Remedy:
    code: RemedyCode
    amount_minor: int | None = None
    date: date | None = None
    items: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Blocker:
    code: BlockerCode
    message: str
    remedies: tuple[Remedy, ...]


@dataclass(frozen=True)
class Warning:
    code: str
    message: str


@dataclass(frozen=True)
class Eligibility:
    blockers: tuple[Blocker, ...]
    warnings: tuple[Warning, ...]
    quote: Quote
    review_due_on: date
    closure_date: date
    today: date
    identity_methods: frozenset[IdentityMethod] = field(default_factory=frozenset)

    @property
    def eligible(self) -> bool:
        return not self.blockers

    @property
    def blocker_codes(self) -> list[str]:
        return [b.code.value for b in self.blockers]


VERIFY_METHODS: tuple[dict[str, Any], ...] = tuple({"method": m.value} for m in IdentityMethod)


def evaluate(
    line: LineFacts,
    intent: ClosureIntent,
    profile: JurisdictionProfile,
    calendar: WorkingCalendar,
    today: date,
) -> Eligibility:
    """Everything that blocks closing `line` on the requested date, with the quote and review date."""
    closure_date = intent.requested_date or today
    blockers: list[Blocker] = []
    warnings: list[Warning] = []

    if line.status in (LineStatus.CLOSED, LineStatus.CLOSING):
        blockers.append(
            Blocker(
                BlockerCode.LINE_NOT_ACTIVE,
                f"the line is {line.status.value}",
                (Remedy(RemedyCode.NONE),),
            )
        )
    elif line.status is LineStatus.SUSPENDED:
        warnings.append(
            Warning("LINE_SUSPENDED", "the line is suspended; closing it ends it for good")
        )

    if line.unpaid_bills:
        total = sum(b.amount_minor for b in line.unpaid_bills)
        items = tuple(
            {"bill_id": b.bill_id, "amount_minor": b.amount_minor, "due_on": b.due_on.isoformat()}
            for b in line.unpaid_bills
        )
        blockers.append(
            Blocker(
                BlockerCode.ARREARS,
                f"{len(line.unpaid_bills)} unpaid bill(s) totalling {total} {line.currency} minor units",
                (Remedy(RemedyCode.PAY_ARREARS, amount_minor=total, items=items),),
            )
        )

    contract = line.contract
    if contract and contract.commitment_end > closure_date and not intent.accept_etf:
        etf = early_termination_fee(contract, closure_date, line.currency)
        blockers.append(
            Blocker(
                BlockerCode.COMMITMENT_ACTIVE,
                f"the commitment runs until {contract.commitment_end.isoformat()}",
                (
                    Remedy(RemedyCode.ACCEPT_ETF, amount_minor=etf.minor),
                    Remedy(RemedyCode.SCHEDULE_AT_TERM_END, date=contract.commitment_end),
                ),
            )
        )

    pending = [
        b for b in line.active_bindings if b.binding_id not in intent.acknowledged_binding_ids
    ]
    if pending:
        items = tuple(
            {"binding_id": b.binding_id, "service": b.service, "category": b.category}
            for b in pending
        )
        blockers.append(
            Blocker(
                BlockerCode.BINDINGS_PRESENT,
                f"{len(pending)} service(s) still use this number to reach you",
                (
                    Remedy(RemedyCode.UNBIND, items=items),
                    Remedy(RemedyCode.ACKNOWLEDGE_BINDINGS, items=items),
                ),
            )
        )
    left_bound = [
        b for b in line.active_bindings if b.binding_id in intent.acknowledged_binding_ids
    ]
    if left_bound:
        names = ", ".join(b.service for b in left_bound)
        warnings.append(
            Warning(
                "BINDINGS_LEFT_KNOWINGLY",
                f"still bound and knowingly left: {names}; they will lose this number",
            )
        )

    if line.lost_reported and IdentityMethod.ID_DOCUMENT_SEEN not in intent.identity_methods:
        blockers.append(
            Blocker(
                BlockerCode.LOST_REPORTED,
                "the line is reported lost: the owner must show an ID document in a store",
                (Remedy(RemedyCode.VERIFY_ID_DOCUMENT_IN_STORE),),
            )
        )
    elif not intent.identity_methods:
        blockers.append(
            Blocker(
                BlockerCode.IDENTITY_NOT_VERIFIED,
                "the requester has not proved they hold the line",
                (Remedy(RemedyCode.VERIFY_IDENTITY, items=VERIFY_METHODS),),
            )
        )

    for order in line.open_orders:
        blockers.append(
            Blocker(
                BlockerCode.OPEN_ORDER,
                f"an open {order.kind.replace('_', ' ')} order {order.reference} is in progress",
                (Remedy(RemedyCode.WAIT_FOR_ORDER, items=({"reference": order.reference},)),),
            )
        )

    if line.legal_hold:
        blockers.append(
            Blocker(
                BlockerCode.LEGAL_HOLD,
                "the line is frozen by a legal hold",
                (Remedy(RemedyCode.CONTACT_SUPPORT),),
            )
        )

    the_quote = quote(line, closure_date, intent.accept_etf, profile.refund_fee_minor.value)
    if the_quote.forfeited_promo_credit.is_positive:
        warnings.append(Warning("PROMO_CREDIT_FORFEITED", "promotional credit is not refunded"))
    if the_quote.refund_fee.is_positive:
        warnings.append(Warning("REFUND_FEE", "a refund fee applies under the operator's terms"))
    if line.kind is LineKind.DATA_ONLY and line.fleet:
        warnings.append(
            Warning(
                "FLEET_DATA_CARD", "data card in an enterprise fleet: the account holder decides"
            )
        )

    review_due_on = calendar.add_working_days(today, profile.review_working_days.value)
    warnings.extend(Warning("CALENDAR_FALLBACK", text) for text in calendar.warnings())

    return Eligibility(
        blockers=tuple(blockers),
        warnings=tuple(warnings),
        quote=the_quote,
        review_due_on=review_due_on,
        closure_date=closure_date,
        today=today,
        identity_methods=intent.identity_methods,
    )
