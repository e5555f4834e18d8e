"""The precheck of many lines at once: the rules of `eligibility.evaluate` over columns.

Blockers and warnings are predicates over the columns (one bit each, the codes of a line
looked up once per distinct set of bits), the quote is column arithmetic, and the dates are
computed once for the whole set. The verdict of every line equals what `evaluate` decides for
it alone: its blocker and warning codes in the same order, its amount due and refund.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from lineclose.domain.calendars import WorkingCalendar
from lineclose.domain.eligibility import BlockerCode
from lineclose.domain.facts import (
    Binding,
    ClosureIntent,
    Contract,
    IdentityMethod,
    LineFacts,
    LineKind,
    LineStatus,
    OpenOrder,
    PaymentMode,
    UnpaidBill,
)
from lineclose.domain.money import check_currency
from lineclose.domain.profiles import JurisdictionProfile
from lineclose.domain.settlement import billing_cycle, early_termination_fee

# Blockers in the order `evaluate` lists them; OPEN_ORDER (once per order) comes before LEGAL_HOLD.
_BLOCKER_BITS = (
    BlockerCode.LINE_NOT_ACTIVE,
    BlockerCode.ARREARS,
    BlockerCode.COMMITMENT_ACTIVE,
    BlockerCode.BINDINGS_PRESENT,
    BlockerCode.LOST_REPORTED,
    BlockerCode.IDENTITY_NOT_VERIFIED,
)
_LEGAL_HOLD_BIT = 1 << len(_BLOCKER_BITS)
_WARNING_BITS = (
    "LINE_SUSPENDED",
    "BINDINGS_LEFT_KNOWINGLY",
    "PROMO_CREDIT_FORFEITED",
    "REFUND_FEE",
    "FLEET_DATA_CARD",
)


@dataclass(frozen=True)
class FactColumns:
    """The facts of many lines, one entry per line in each column; the facts only some lines
    have (bills, contracts, bindings, orders) keyed by the line's position."""

    msisdn: Sequence[str]
    kind: Sequence[str]
    payment: Sequence[str]
    status: Sequence[str]
    currency: Sequence[str]
    monthly_fee_minor: Sequence[int]
    billing_day: Sequence[int]
    paid_credit_minor: Sequence[int]
    promo_credit_minor: Sequence[int]
    unbilled_usage_minor: Sequence[int]
    legal_hold: Sequence[bool]
    lost_reported: Sequence[bool]
    fleet: Sequence[bool]
    unpaid_bills: Mapping[int, Sequence[UnpaidBill]] = field(default_factory=dict)
    contracts: Mapping[int, Contract] = field(default_factory=dict)
    active_bindings: Mapping[int, Sequence[Binding]] = field(default_factory=dict)
    open_orders: Mapping[int, Sequence[OpenOrder]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.msisdn)

    def line(self, i: int) -> LineFacts:
        """The facts of the line at position `i`, as the single-line precheck reads them."""
        return LineFacts(
            msisdn=self.msisdn[i],
            kind=LineKind(self.kind[i]),
            payment=PaymentMode(self.payment[i]),
            status=LineStatus(self.status[i]),
            currency=self.currency[i],
            monthly_fee_minor=self.monthly_fee_minor[i],
            billing_day=self.billing_day[i],
            paid_credit_minor=self.paid_credit_minor[i],
            promo_credit_minor=self.promo_credit_minor[i],
            unbilled_usage_minor=self.unbilled_usage_minor[i],
            unpaid_bills=tuple(self.unpaid_bills.get(i, ())),
            contract=self.contracts.get(i),
            active_bindings=tuple(self.active_bindings.get(i, ())),
            legal_hold=bool(self.legal_hold[i]),
            lost_reported=bool(self.lost_reported[i]),
            open_orders=tuple(self.open_orders.get(i, ())),
            fleet=bool(self.fleet[i]),
        )


def columns_of(lines: Sequence[LineFacts]) -> FactColumns:
    """Columns of single-line facts (for callers holding `LineFacts` already, and tests)."""
    return FactColumns(
        msisdn=[x.msisdn for x in lines],
        kind=[x.kind.value for x in lines],
        payment=[x.payment.value for x in lines],
        status=[x.status.value for x in lines],
        currency=[x.currency for x in lines],
        monthly_fee_minor=[x.monthly_fee_minor for x in lines],
        billing_day=[x.billing_day for x in lines],
        paid_credit_minor=[x.paid_credit_minor for x in lines],
        promo_credit_minor=[x.promo_credit_minor for x in lines],
        unbilled_usage_minor=[x.unbilled_usage_minor for x in lines],
        legal_hold=[x.legal_hold for x in lines],
        lost_reported=[x.lost_reported for x in lines],
        fleet=[x.fleet for x in lines],
        unpaid_bills={i: x.unpaid_bills for i, x in enumerate(lines) if x.unpaid_bills},
        contracts={i: x.contract for i, x in enumerate(lines) if x.contract},
        active_bindings={i: x.active_bindings for i, x in enumerate(lines) if x.active_bindings},
        open_orders={i: x.open_orders for i, x in enumerate(lines) if x.open_orders},
    )


@dataclass(frozen=True)
class SetVerdicts:
    """One entry per line: its blocker and warning codes, in `evaluate`'s order, and its
    quote's amount due and refund; the dates are the same for every line of the set."""

    blocker_codes: list[tuple[BlockerCode, ...]]
    warning_codes: list[tuple[str, ...]]
    amount_due_minor: list[int]
    refund_minor: list[int]
    closure_date: date
    review_due_on: date


def _array(values: Sequence[Any], dtype: Any) -> np.ndarray[Any, Any]:
    return np.fromiter(values, dtype=dtype, count=len(values))


def _in(values: Sequence[str], wanted: tuple[str, ...]) -> np.ndarray[Any, Any]:
    return np.isin(np.asarray(values, dtype=object), wanted)


def _sparse(n: int, items: Mapping[int, int]) -> np.ndarray[Any, Any]:
    column = np.zeros(n, dtype=np.int64)
    if items:
        column[np.fromiter(items.keys(), np.int64)] = np.fromiter(items.values(), np.int64)
    return column


class _BlockerCodes(dict[tuple[int, int], tuple[BlockerCode, ...]]):
    """(blocker bits, open orders) to the blocker codes, built once per distinct key."""

    def __missing__(self, key: tuple[int, int]) -> tuple[BlockerCode, ...]:
        bits, orders = key
        codes = [code for k, code in enumerate(_BLOCKER_BITS) if bits >> k & 1]
        codes.extend([BlockerCode.OPEN_ORDER] * orders)
        if bits & _LEGAL_HOLD_BIT:
            codes.append(BlockerCode.LEGAL_HOLD)
        self[key] = tuple(codes)
        return self[key]


class _WarningCodes(dict[int, tuple[str, ...]]):
    """Warning bits to the warning codes, then the calendar's, built once per distinct bits."""

    def __init__(self, tail: tuple[str, ...]) -> None:
        super().__init__()
        self.tail = tail

    def __missing__(self, bits: int) -> tuple[str, ...]:
        codes = tuple(code for k, code in enumerate(_WARNING_BITS) if bits >> k & 1)
        self[bits] = codes + self.tail
        return self[bits]


def evaluate_set(
    columns: FactColumns,
    intent: ClosureIntent,
    profile: JurisdictionProfile,
    calendar: WorkingCalendar,
    today: date,
) -> SetVerdicts:
    """What `evaluate` decides for each line of `columns` under the same intent, in sets."""
    n = len(columns)
    closure_date = intent.requested_date or today
    # The dates and the calendar's warnings are the same for every line: once per set.
    review_due_on = calendar.add_working_days(today, profile.review_working_days.value)
    calendar_tail = tuple("CALENDAR_FALLBACK" for _ in calendar.warnings())
    for currency in set(columns.currency):
        check_currency(currency)

    status = np.asarray(columns.status, dtype=object)
    acknowledged = intent.acknowledged_binding_ids
    pending = {
        i: n_pending
        for i, bound in columns.active_bindings.items()
        if (n_pending := sum(1 for b in bound if b.binding_id not in acknowledged))
    }
    left_bound = {
        i: 1
        for i, bound in columns.active_bindings.items()
        if any(b.binding_id in acknowledged for b in bound)
    }
    etf = {
        i: early_termination_fee(contract, closure_date, columns.currency[i]).minor
        for i, contract in columns.contracts.items()
    }
    committed = {
        i: 1
        for i, contract in columns.contracts.items()
        if contract.commitment_end > closure_date and not intent.accept_etf
    }
    lost = _array(columns.lost_reported, bool)
    lost_blocks = IdentityMethod.ID_DOCUMENT_SEEN not in intent.identity_methods
    not_verified = ~lost if lost_blocks else np.zeros(n, dtype=bool)
    if intent.identity_methods:
        not_verified[:] = False

    # The quote, as columns: prorated fee (postpaid), usage, the fee if accepted, credit.
    # The cycle is the same for every line with the same billing day: once per distinct day.
    billing_day = _array(columns.billing_day, np.int64)
    postpaid = _in(columns.payment, (PaymentMode.POSTPAID.value,))
    used = np.zeros(32, dtype=np.int64)
    length = np.ones(32, dtype=np.int64)
    for day in np.unique(billing_day[postpaid]).tolist():
        start, next_start = billing_cycle(closure_date, day)
        used[day] = (closure_date - start).days + 1
        length[day] = (next_start - start).days
    day_index = np.clip(billing_day, 0, 31)
    quotient, remainder = np.divmod(
        _array(columns.monthly_fee_minor, np.int64) * used[day_index], length[day_index]
    )
    fee = np.where(postpaid, quotient + (remainder * 2 >= length[day_index]), 0)
    etf_column = _sparse(n, etf)
    included = np.where(etf_column > 0, etf_column, 0) if intent.accept_etf else 0
    charges = fee + _array(columns.unbilled_usage_minor, np.int64) + included
    balance = _array(columns.paid_credit_minor, np.int64) - charges
    refund_fee = np.maximum(np.minimum(profile.refund_fee_minor.value, balance), 0)
    refund = np.maximum(balance - refund_fee, 0)
    amount_due = np.maximum(-balance, 0)

    blocker_bits = (
        np.isin(status, (LineStatus.CLOSED.value, LineStatus.CLOSING.value)).astype(np.int64)
        | (_sparse(n, {i: 1 for i in columns.unpaid_bills if columns.unpaid_bills[i]}) << 1)
        | (_sparse(n, committed) << 2)
        | ((_sparse(n, pending) > 0) << 3)
        | ((lost & lost_blocks).astype(np.int64) << 4)
        | (not_verified.astype(np.int64) << 5)
        | (_array(columns.legal_hold, bool).astype(np.int64) << len(_BLOCKER_BITS))
    )
    orders = _sparse(n, {i: len(o) for i, o in columns.open_orders.items()})
    data_fleet = _in(columns.kind, (LineKind.DATA_ONLY.value,)) & _array(columns.fleet, bool)
    warning_bits = (
        (status == LineStatus.SUSPENDED.value).astype(np.int64)
        | (_sparse(n, left_bound) << 1)
        | ((_array(columns.promo_credit_minor, np.int64) > 0).astype(np.int64) << 2)
        | ((refund_fee > 0).astype(np.int64) << 3)
        | (data_fleet.astype(np.int64) << 4)
    )

    blocker_table = _BlockerCodes()
    warning_table = _WarningCodes(calendar_tail)
    return SetVerdicts(
        blocker_codes=[
            blocker_table[key] for key in zip(blocker_bits.tolist(), orders.tolist(), strict=True)
        ],
        warning_codes=[warning_table[bits] for bits in warning_bits.tolist()],
        amount_due_minor=amount_due.tolist(),
        refund_minor=refund.tolist(),
        closure_date=closure_date,
        review_due_on=review_due_on,
    )
