"""Final charges and the refund, in integer minor units.

Settlement = prorated recurring fee to the closure date + unbilled usage + early-termination
fee (only if accepted) - paid credit. Promotional credit is forfeited. A refund fee applies
only where the profile says, and never takes more than the refund.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from lineclose.domain.facts import Contract, EtfRule, LineFacts, PaymentMode
from lineclose.domain.money import Money


def _anchor(year: int, month: int, billing_day: int) -> date:
    return date(year, month, min(billing_day, calendar.monthrange(year, month)[1]))


def _month_after(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _month_before(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


@lru_cache(maxsize=4096)
def billing_cycle(day: date, billing_day: int) -> tuple[date, date]:
    """The cycle holding `day`: its first day and the first day of the next cycle (cached: the
    cards of a batch share a few closure dates and at most 31 billing days).

    A billing day past a month's end (29 to 31) falls on that month's last day.
    """
    if not 1 <= billing_day <= 31:
        raise ValueError("billing_day must be between 1 and 31")
    start = _anchor(day.year, day.month, billing_day)
    if start > day:
        start = _anchor(*_month_before(day.year, day.month), billing_day)
    return start, _anchor(*_month_after(start.year, start.month), billing_day)


def prorated_fee(monthly_fee: Money, closure_date: date, billing_day: int) -> Money:
    """The recurring fee for the days of the current cycle up to and including the closure date."""
    start, next_start = billing_cycle(closure_date, billing_day)
    used = (closure_date - start).days + 1
    return monthly_fee.fraction(used, (next_start - start).days)


def remaining_months(closure_date: date, commitment_end: date) -> int:
    """Whole or started months from the closure date to the end of the commitment."""
    if commitment_end <= closure_date:
        return 0
    months = (commitment_end.year - closure_date.year) * 12 + (
        commitment_end.month - closure_date.month
    )
    if commitment_end.day > closure_date.day:
        months += 1
    return max(months, 0)


def early_termination_fee(contract: Contract, closure_date: date, currency: str) -> Money:
    if contract.commitment_end <= closure_date or contract.etf_rule is EtfRule.NONE:
        return Money.zero(currency)
    if contract.etf_rule is EtfRule.FIXED:
        return Money(contract.etf_fixed_minor, currency)
    months = remaining_months(closure_date, contract.commitment_end)
    return Money(contract.etf_monthly_minor * months + contract.processing_fee_minor, currency)


@dataclass(frozen=True)
class Quote:
    currency: str
    closure_date: date
    prorated_fee: Money
    unbilled_usage: Money
    early_termination_fee: Money
    etf_included: bool
    paid_credit: Money
    forfeited_promo_credit: Money
    refund_fee: Money
    refund: Money
    amount_due: Money

    @property
    def total_charges(self) -> Money:
        charges = self.prorated_fee + self.unbilled_usage
        return charges + self.early_termination_fee if self.etf_included else charges


def quote(line: LineFacts, closure_date: date, accept_etf: bool, refund_fee_minor: int) -> Quote:
    currency = line.currency
    fee = (
        prorated_fee(Money(line.monthly_fee_minor, currency), closure_date, line.billing_day)
        if line.payment is PaymentMode.POSTPAID
        # Prepaid plans take the recurring fee from credit at the start of the cycle.
        else Money.zero(currency)
    )
    usage = Money(line.unbilled_usage_minor, currency)
    etf = (
        early_termination_fee(line.contract, closure_date, currency)
        if line.contract
        else Money.zero(currency)
    )
    etf_included = accept_etf and etf.is_positive
    charges = fee + usage + (etf if etf_included else Money.zero(currency))
    balance = Money(line.paid_credit_minor, currency) - charges
    refund_fee = Money(min(refund_fee_minor, balance.minor), currency).clamp_at_zero()
    return Quote(
        currency=currency,
        closure_date=closure_date,
        prorated_fee=fee,
        unbilled_usage=usage,
        early_termination_fee=etf,
        etf_included=etf_included,
        paid_credit=Money(line.paid_credit_minor, currency),
        forfeited_promo_credit=Money(line.promo_credit_minor, currency),
        refund_fee=refund_fee,
        refund=(balance - refund_fee).clamp_at_zero(),
        amount_due=(-balance).clamp_at_zero(),
    )
