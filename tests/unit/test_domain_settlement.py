"""Money and the final settlement: prorated fee, early-termination fee, refund and amount due."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lineclose.domain.facts import Contract, EtfRule, LineFacts, LineKind, LineStatus, PaymentMode
from lineclose.domain.money import Money
from lineclose.domain.settlement import (
    billing_cycle,
    early_termination_fee,
    prorated_fee,
    quote,
    remaining_months,
)


def cny(minor: int) -> Money:
    return Money(minor, "CNY")


def make_line(**overrides: Any) -> LineFacts:
    values: dict[str, Any] = {
        "msisdn": "+8613800138000",
        "kind": LineKind.SIM,
        "payment": PaymentMode.POSTPAID,
        "status": LineStatus.ACTIVE,
        "currency": "CNY",
        "monthly_fee_minor": 0,
        "billing_day": 1,
    }
    values.update(overrides)
    return LineFacts(**values)


def make_contract(**overrides: Any) -> Contract:
    values: dict[str, Any] = {
        "commitment_end": date(2026, 12, 31),
        "etf_rule": EtfRule.FIXED,
        "etf_fixed_minor": 20_000,
    }
    values.update(overrides)
    return Contract(**values)


# --- Money -----------------------------------------------------------------------------------


def test_money_adds_and_subtracts_in_the_same_currency() -> None:
    assert cny(150) + cny(50) == cny(200)
    assert cny(150) - cny(200) == cny(-50)
    assert -cny(30) == cny(-30)
    assert cny(7).times(3) == cny(21)


@pytest.mark.parametrize("operation", ["add", "sub"])
def test_money_refuses_to_combine_different_currencies(operation: str) -> None:
    left, right = cny(1), Money(1, "USD")
    with pytest.raises(ValueError, match="cannot combine CNY with USD"):
        _ = left + right if operation == "add" else left - right


@pytest.mark.parametrize("currency", ["cny", "CN", "CNYY", "", "Cny"])
def test_money_refuses_a_currency_that_is_not_an_iso_code(currency: str) -> None:
    with pytest.raises(ValueError, match="ISO 4217"):
        Money(1, currency)


def test_money_refuses_a_currency_code_with_digits() -> None:
    with pytest.raises(ValueError, match="ISO 4217"):
        Money(1, "C1Y")


def test_money_zero_is_zero_in_its_currency() -> None:
    assert Money.zero("GBP") == Money(0, "GBP")
    assert not Money.zero("GBP").is_positive


@pytest.mark.parametrize(
    ("minor", "numerator", "denominator", "expected"),
    [
        (5, 1, 2, 3),  # 2.5 rounds up
        (1, 1, 2, 1),  # 0.5 rounds up
        (1, 1, 3, 0),  # 0.333 rounds down
        (2, 1, 3, 1),  # 0.667 rounds up
        (3100, 10, 31, 1000),
        (1000, 1, 8, 125),
        (1001, 1, 2, 501),  # 500.5 rounds up
        (999, 0, 7, 0),
        (100, 7, 7, 100),
    ],
)
def test_fraction_rounds_half_up_to_the_minor_unit(
    minor: int, numerator: int, denominator: int, expected: int
) -> None:
    assert cny(minor).fraction(numerator, denominator) == cny(expected)


@pytest.mark.parametrize("denominator", [0, -1])
def test_fraction_refuses_a_denominator_that_is_not_positive(denominator: int) -> None:
    with pytest.raises(ValueError, match="denominator must be positive"):
        cny(100).fraction(1, denominator)


def test_clamp_at_zero_keeps_positive_amounts_and_zeroes_the_rest() -> None:
    assert cny(5).clamp_at_zero() == cny(5)
    assert cny(0).clamp_at_zero() == cny(0)
    assert cny(-5).clamp_at_zero() == cny(0)
    assert cny(1).is_positive
    assert not cny(-1).is_positive


def test_money_prints_minor_units_and_currency() -> None:
    assert str(cny(1234)) == "1234 CNY (minor units)"


# --- Billing cycles --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "billing_day", "expected"),
    [
        # Billing day 1: calendar months.
        (date(2026, 3, 10), 1, (date(2026, 3, 1), date(2026, 4, 1))),
        (date(2026, 3, 1), 1, (date(2026, 3, 1), date(2026, 4, 1))),
        (date(2026, 3, 31), 1, (date(2026, 3, 1), date(2026, 4, 1))),
        (date(2026, 12, 31), 1, (date(2026, 12, 1), date(2027, 1, 1))),
        # Billing day 15: across the month end and the year end.
        (date(2026, 3, 20), 15, (date(2026, 3, 15), date(2026, 4, 15))),
        (date(2026, 3, 14), 15, (date(2026, 2, 15), date(2026, 3, 15))),
        (date(2026, 3, 15), 15, (date(2026, 3, 15), date(2026, 4, 15))),
        (date(2026, 12, 20), 15, (date(2026, 12, 15), date(2027, 1, 15))),
        (date(2027, 1, 10), 15, (date(2026, 12, 15), date(2027, 1, 15))),
        # Billing day 31 falls on the last day of short months.
        (date(2025, 2, 10), 31, (date(2025, 1, 31), date(2025, 2, 28))),
        (date(2025, 2, 28), 31, (date(2025, 2, 28), date(2025, 3, 31))),
        (date(2024, 2, 28), 31, (date(2024, 1, 31), date(2024, 2, 29))),
        (date(2024, 2, 29), 31, (date(2024, 2, 29), date(2024, 3, 31))),
        (date(2026, 4, 30), 31, (date(2026, 4, 30), date(2026, 5, 31))),
        (date(2026, 5, 30), 31, (date(2026, 4, 30), date(2026, 5, 31))),
        (date(2026, 12, 31), 31, (date(2026, 12, 31), date(2027, 1, 31))),
        (date(2027, 1, 5), 31, (date(2026, 12, 31), date(2027, 1, 31))),
    ],
)
def test_billing_cycle_holds_the_day_and_ends_where_the_next_one_starts(
    day: date, billing_day: int, expected: tuple[date, date]
) -> None:
    start, next_start = billing_cycle(day, billing_day)
    assert (start, next_start) == expected
    assert start <= day < next_start


@pytest.mark.parametrize("billing_day", [0, 32, -1])
def test_billing_day_outside_1_to_31_is_refused(billing_day: int) -> None:
    with pytest.raises(ValueError, match="billing_day"):
        billing_cycle(date(2026, 3, 10), billing_day)


@given(
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    billing_day=st.integers(min_value=1, max_value=31),
)
def test_every_day_lies_in_a_cycle_of_28_to_31_days(day: date, billing_day: int) -> None:
    start, next_start = billing_cycle(day, billing_day)
    assert start <= day < next_start
    assert 28 <= (next_start - start).days <= 31
    assert billing_cycle(next_start, billing_day)[0] == next_start


# --- Prorated fee ----------------------------------------------------------------------------


def test_prorated_fee_counts_days_up_to_and_including_the_closure_date() -> None:
    # 10 of the 31 days of March 2026.
    assert prorated_fee(cny(3100), date(2026, 3, 10), 1) == cny(1000)


def test_prorated_fee_on_the_first_day_of_the_cycle_is_one_day() -> None:
    assert prorated_fee(cny(3100), date(2026, 3, 1), 1) == cny(100)


def test_prorated_fee_on_the_last_day_of_the_cycle_is_the_whole_fee() -> None:
    assert prorated_fee(cny(3100), date(2026, 3, 31), 1) == cny(3100)
    assert prorated_fee(cny(2800), date(2026, 3, 14), 15) == cny(2800)


def test_prorated_fee_in_a_leap_february_divides_by_29_days() -> None:
    assert prorated_fee(cny(2900), date(2024, 2, 10), 1) == cny(1000)


def test_prorated_fee_in_a_common_february_divides_by_28_days() -> None:
    # 2900 * 10 / 28 = 1035.71 -> 1036
    assert prorated_fee(cny(2900), date(2025, 2, 10), 1) == cny(1036)
    assert prorated_fee(cny(2800), date(2025, 2, 10), 1) == cny(1000)


def test_prorated_fee_across_a_month_end_counts_from_the_billing_day() -> None:
    # Cycle 15 Jan to 14 Feb 2026 has 31 days; 5 Feb is day 22.
    assert prorated_fee(cny(3100), date(2026, 2, 5), 15) == cny(2200)


def test_prorated_fee_with_billing_day_31_in_february() -> None:
    # Cycle 31 Jan to 27 Feb 2025 has 28 days; 13 Feb is day 14.
    assert prorated_fee(cny(2800), date(2025, 2, 13), 31) == cny(1400)


def test_prorated_fee_rounds_half_up() -> None:
    # 1 day of 30 in April of 15 minor units = 0.5 -> 1.
    assert prorated_fee(cny(15), date(2026, 4, 1), 1) == cny(1)


def test_prorated_fee_keeps_the_currency() -> None:
    assert prorated_fee(Money(3000, "GBP"), date(2026, 4, 15), 1) == Money(1500, "GBP")


# --- Remaining months and early-termination fee --------------------------------------------


@pytest.mark.parametrize(
    ("closure", "end", "months"),
    [
        (date(2026, 1, 15), date(2026, 3, 15), 2),
        (date(2026, 1, 15), date(2026, 3, 16), 3),
        (date(2026, 1, 15), date(2026, 3, 14), 2),
        (date(2026, 1, 15), date(2026, 1, 20), 1),
        (date(2026, 11, 20), date(2027, 2, 20), 3),
        (date(2026, 1, 31), date(2026, 2, 28), 1),
        (date(2026, 3, 10), date(2026, 3, 10), 0),
        (date(2026, 3, 10), date(2026, 3, 9), 0),
        (date(2026, 3, 10), date(2025, 12, 31), 0),
    ],
)
def test_remaining_months_counts_whole_and_started_months(
    closure: date, end: date, months: int
) -> None:
    assert remaining_months(closure, end) == months


def test_fixed_etf_is_the_contract_amount_while_the_commitment_runs() -> None:
    contract = make_contract(etf_rule=EtfRule.FIXED, etf_fixed_minor=20_000)
    assert early_termination_fee(contract, date(2026, 6, 1), "CNY") == cny(20_000)


def test_remaining_months_etf_is_monthly_fee_times_months_plus_processing_fee() -> None:
    contract = make_contract(
        commitment_end=date(2026, 9, 15),
        etf_rule=EtfRule.REMAINING_MONTHS,
        etf_monthly_minor=99_900,
        processing_fee_minor=50_000,
    )
    # 15 June -> 15 September: 3 months.
    assert early_termination_fee(contract, date(2026, 6, 15), "PHP") == Money(
        99_900 * 3 + 50_000, "PHP"
    )
    # 14 June -> 15 September: 3 whole months and a started one.
    assert early_termination_fee(contract, date(2026, 6, 14), "PHP") == Money(
        99_900 * 4 + 50_000, "PHP"
    )


def test_etf_rule_none_charges_nothing() -> None:
    contract = make_contract(etf_rule=EtfRule.NONE, etf_fixed_minor=20_000)
    assert early_termination_fee(contract, date(2026, 6, 1), "CNY") == cny(0)


@pytest.mark.parametrize("rule", list(EtfRule))
@pytest.mark.parametrize("closure", [date(2026, 12, 31), date(2027, 1, 1)])
def test_no_etf_once_the_commitment_has_ended(rule: EtfRule, closure: date) -> None:
    contract = make_contract(
        commitment_end=date(2026, 12, 31),
        etf_rule=rule,
        etf_fixed_minor=20_000,
        etf_monthly_minor=5_000,
        processing_fee_minor=1_000,
    )
    assert early_termination_fee(contract, closure, "CNY") == cny(0)


# --- Quote -----------------------------------------------------------------------------------


def test_postpaid_quote_charges_the_prorated_fee_and_usage_against_credit() -> None:
    line = make_line(monthly_fee_minor=3100, unbilled_usage_minor=250, paid_credit_minor=5000)
    q = quote(line, date(2026, 3, 10), accept_etf=False, refund_fee_minor=0)
    assert q.prorated_fee == cny(1000)
    assert q.unbilled_usage == cny(250)
    assert q.total_charges == cny(1250)
    assert q.refund == cny(3750)
    assert q.amount_due == cny(0)
    assert q.closure_date == date(2026, 3, 10)
    assert q.currency == "CNY"


def test_prepaid_quote_has_no_prorated_fee() -> None:
    line = make_line(
        payment=PaymentMode.PREPAID,
        monthly_fee_minor=3100,
        unbilled_usage_minor=100,
        paid_credit_minor=2000,
    )
    q = quote(line, date(2026, 3, 10), accept_etf=False, refund_fee_minor=0)
    assert q.prorated_fee == cny(0)
    assert q.total_charges == cny(100)
    assert q.refund == cny(1900)


def test_etf_is_shown_but_not_charged_unless_accepted() -> None:
    line = make_line(contract=make_contract(etf_fixed_minor=20_000), paid_credit_minor=30_000)
    q = quote(line, date(2026, 6, 1), accept_etf=False, refund_fee_minor=0)
    assert q.early_termination_fee == cny(20_000)
    assert not q.etf_included
    assert q.total_charges == cny(0)
    assert q.refund == cny(30_000)


def test_accepted_etf_is_charged() -> None:
    line = make_line(contract=make_contract(etf_fixed_minor=20_000), paid_credit_minor=30_000)
    q = quote(line, date(2026, 6, 1), accept_etf=True, refund_fee_minor=0)
    assert q.etf_included
    assert q.total_charges == cny(20_000)
    assert q.refund == cny(10_000)


def test_accepting_an_etf_after_the_commitment_ended_includes_nothing() -> None:
    line = make_line(contract=make_contract(commitment_end=date(2026, 1, 1)))
    q = quote(line, date(2026, 6, 1), accept_etf=True, refund_fee_minor=0)
    assert not q.etf_included
    assert q.early_termination_fee == cny(0)


def test_line_without_contract_has_no_etf() -> None:
    q = quote(make_line(), date(2026, 6, 1), accept_etf=True, refund_fee_minor=0)
    assert q.early_termination_fee == cny(0)
    assert not q.etf_included


def test_promotional_credit_is_forfeited_not_refunded() -> None:
    line = make_line(paid_credit_minor=1000, promo_credit_minor=5000)
    q = quote(line, date(2026, 3, 10), accept_etf=False, refund_fee_minor=0)
    assert q.forfeited_promo_credit == cny(5000)
    assert q.refund == cny(1000)


def test_promotional_credit_does_not_pay_charges() -> None:
    line = make_line(monthly_fee_minor=3100, promo_credit_minor=10_000)
    q = quote(line, date(2026, 3, 10), accept_etf=False, refund_fee_minor=0)
    assert q.amount_due == cny(1000)
    assert q.refund == cny(0)


def test_refund_fee_is_taken_from_a_positive_balance() -> None:
    line = make_line(paid_credit_minor=2000)
    q = quote(line, date(2026, 3, 10), accept_etf=False, refund_fee_minor=500)
    assert q.refund_fee == cny(500)
    assert q.refund == cny(1500)


def test_refund_fee_never_takes_more_than_the_balance() -> None:
    line = make_line(paid_credit_minor=300)
    q = quote(line, date(2026, 3, 10), accept_etf=False, refund_fee_minor=500)
    assert q.refund_fee == cny(300)
    assert q.refund == cny(0)
    assert q.amount_due == cny(0)


def test_no_refund_fee_when_there_is_nothing_to_refund() -> None:
    line = make_line(monthly_fee_minor=3100, paid_credit_minor=500)
    q = quote(line, date(2026, 3, 10), accept_etf=False, refund_fee_minor=500)
    assert q.refund_fee == cny(0)
    assert q.refund == cny(0)
    assert q.amount_due == cny(500)


def test_amount_due_when_charges_exceed_credit() -> None:
    line = make_line(
        monthly_fee_minor=3100,
        unbilled_usage_minor=700,
        paid_credit_minor=200,
        contract=make_contract(etf_fixed_minor=20_000),
    )
    q = quote(line, date(2026, 3, 10), accept_etf=True, refund_fee_minor=0)
    assert q.total_charges == cny(1000 + 700 + 20_000)
    assert q.amount_due == cny(21_700 - 200)
    assert q.refund == cny(0)


def test_exact_balance_leaves_neither_refund_nor_amount_due() -> None:
    line = make_line(monthly_fee_minor=3100, paid_credit_minor=1000)
    q = quote(line, date(2026, 3, 10), accept_etf=False, refund_fee_minor=500)
    assert q.refund == cny(0)
    assert q.amount_due == cny(0)
    assert q.refund_fee == cny(0)


def test_quote_is_in_the_line_currency() -> None:
    line = make_line(currency="GBP", monthly_fee_minor=3000, paid_credit_minor=4000)
    q = quote(line, date(2026, 4, 15), accept_etf=False, refund_fee_minor=0)
    assert q.refund == Money(2500, "GBP")
    assert q.total_charges.currency == "GBP"


amounts = st.integers(min_value=0, max_value=10_000_000)


@given(
    payment=st.sampled_from(list(PaymentMode)),
    monthly_fee=amounts,
    billing_day=st.integers(min_value=1, max_value=31),
    usage=amounts,
    paid=amounts,
    promo=amounts,
    etf=amounts,
    commitment_end=st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31)),
    closure=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)),
    accept_etf=st.booleans(),
    refund_fee=st.integers(min_value=0, max_value=100_000),
)
def test_settlement_balances_and_never_both_refunds_and_charges(
    payment: PaymentMode,
    monthly_fee: int,
    billing_day: int,
    usage: int,
    paid: int,
    promo: int,
    etf: int,
    commitment_end: date,
    closure: date,
    accept_etf: bool,
    refund_fee: int,
) -> None:
    line = make_line(
        payment=payment,
        monthly_fee_minor=monthly_fee,
        billing_day=billing_day,
        unbilled_usage_minor=usage,
        paid_credit_minor=paid,
        promo_credit_minor=promo,
        contract=make_contract(commitment_end=commitment_end, etf_fixed_minor=etf),
    )
    q = quote(line, closure, accept_etf=accept_etf, refund_fee_minor=refund_fee)
    assert q.refund.minor >= 0
    assert q.amount_due.minor >= 0
    assert q.refund_fee.minor >= 0
    assert not (q.refund.is_positive and q.amount_due.is_positive)
    assert q.refund_fee.minor <= refund_fee
    assert q.paid_credit - q.total_charges == q.refund + q.refund_fee - q.amount_due
    if q.amount_due.is_positive:
        assert not q.refund_fee.is_positive
