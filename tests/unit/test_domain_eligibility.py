"""Precheck: every blocker with its remedy, all at once; warnings, the quote, the review date."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from lineclose.domain.calendars import WorkingCalendar
from lineclose.domain.eligibility import (
    Blocker,
    BlockerCode,
    Eligibility,
    RemedyCode,
    evaluate,
)
from lineclose.domain.facts import (
    Binding,
    ClosureIntent,
    Contract,
    EtfRule,
    IdentityMethod,
    LineFacts,
    LineKind,
    LineStatus,
    OpenOrder,
    PaymentMode,
    UnpaidBill,
)
from lineclose.domain.profiles import JurisdictionProfile, profile_for

TODAY = date(2026, 3, 10)  # a Tuesday


def make_line(**overrides: Any) -> LineFacts:
    values: dict[str, Any] = {
        "msisdn": "+8613800138000",
        "kind": LineKind.SIM,
        "payment": PaymentMode.POSTPAID,
        "status": LineStatus.ACTIVE,
        "currency": "CNY",
        "monthly_fee_minor": 3100,
        "billing_day": 1,
        "paid_credit_minor": 5000,
    }
    values.update(overrides)
    return LineFacts(**values)


def make_intent(**overrides: Any) -> ClosureIntent:
    values: dict[str, Any] = {"identity_methods": frozenset({IdentityMethod.OTP})}
    values.update(overrides)
    return ClosureIntent(**values)


def make_contract(**overrides: Any) -> Contract:
    values: dict[str, Any] = {
        "commitment_end": date(2026, 9, 30),
        "etf_rule": EtfRule.FIXED,
        "etf_fixed_minor": 20_000,
    }
    values.update(overrides)
    return Contract(**values)


def make_calendar(country: str = "CN", source: str = "chinesecalendar") -> WorkingCalendar:
    return WorkingCalendar(country=country, source=source)


def check(
    line: LineFacts | None = None,
    intent: ClosureIntent | None = None,
    profile: JurisdictionProfile | None = None,
    calendar: WorkingCalendar | None = None,
    today: date = TODAY,
) -> Eligibility:
    return evaluate(
        line or make_line(),
        intent or make_intent(),
        profile or profile_for("cn"),
        calendar or make_calendar(),
        today,
    )


def only_blocker(result: Eligibility, code: BlockerCode) -> Blocker:
    assert result.blocker_codes == [code.value]
    return result.blockers[0]


def warning_codes(result: Eligibility) -> list[str]:
    return [w.code for w in result.warnings]


# --- A clean request ---------------------------------------------------------------------------


def test_a_clean_active_line_with_verified_identity_is_eligible() -> None:
    result = check()
    assert result.eligible
    assert result.blockers == ()
    assert result.blocker_codes == []
    assert result.warnings == ()
    assert result.closure_date == TODAY
    assert result.identity_methods == frozenset({IdentityMethod.OTP})


def test_the_quote_is_for_the_requested_closure_date() -> None:
    result = check(intent=make_intent(requested_date=date(2026, 3, 20)))
    assert result.closure_date == date(2026, 3, 20)
    assert result.quote.closure_date == date(2026, 3, 20)
    assert result.quote.prorated_fee.minor == 2000


def test_without_a_requested_date_the_line_closes_today() -> None:
    result = check()
    assert result.quote.prorated_fee.minor == 1000
    assert result.quote.refund.minor == 4000


# --- Each blocker on its own -----------------------------------------------------------------


def test_closure_is_blocked_while_a_bill_is_unpaid() -> None:
    bills = (
        UnpaidBill(bill_id=7, amount_minor=1200, due_on=date(2026, 2, 1)),
        UnpaidBill(bill_id=8, amount_minor=3400, due_on=date(2026, 3, 1)),
    )
    blocker = only_blocker(check(make_line(unpaid_bills=bills)), BlockerCode.ARREARS)
    assert "2 unpaid bill(s)" in blocker.message
    assert "4600" in blocker.message
    (remedy,) = blocker.remedies
    assert remedy.code is RemedyCode.PAY_ARREARS
    assert remedy.amount_minor == 4600
    assert remedy.items == (
        {"bill_id": 7, "amount_minor": 1200, "due_on": "2026-02-01"},
        {"bill_id": 8, "amount_minor": 3400, "due_on": "2026-03-01"},
    )


def test_closure_is_blocked_while_the_commitment_runs() -> None:
    line = make_line(contract=make_contract(etf_fixed_minor=20_000))
    blocker = only_blocker(check(line), BlockerCode.COMMITMENT_ACTIVE)
    assert "2026-09-30" in blocker.message
    accept, schedule = blocker.remedies
    assert accept.code is RemedyCode.ACCEPT_ETF
    assert accept.amount_minor == 20_000
    assert schedule.code is RemedyCode.SCHEDULE_AT_TERM_END
    assert schedule.date == date(2026, 9, 30)


def test_commitment_remedy_quotes_the_remaining_months_etf_for_the_requested_date() -> None:
    contract = make_contract(
        commitment_end=date(2026, 9, 15),
        etf_rule=EtfRule.REMAINING_MONTHS,
        etf_monthly_minor=1000,
        processing_fee_minor=500,
    )
    result = check(make_line(contract=contract), make_intent(requested_date=date(2026, 6, 15)))
    blocker = only_blocker(result, BlockerCode.COMMITMENT_ACTIVE)
    assert blocker.remedies[0].amount_minor == 3 * 1000 + 500


def test_accepting_the_etf_clears_the_commitment_blocker_and_charges_it() -> None:
    line = make_line(contract=make_contract(etf_fixed_minor=20_000), paid_credit_minor=0)
    result = check(line, make_intent(accept_etf=True))
    assert result.eligible
    assert result.quote.etf_included
    assert result.quote.amount_due.minor == 1000 + 20_000


@pytest.mark.parametrize("requested", [date(2026, 9, 30), date(2026, 10, 1)], ids=str)
def test_closing_at_or_after_the_commitment_end_clears_the_commitment_blocker(
    requested: date,
) -> None:
    line = make_line(contract=make_contract(commitment_end=date(2026, 9, 30)))
    result = check(line, make_intent(requested_date=requested))
    assert result.eligible
    assert result.quote.early_termination_fee.minor == 0


def test_closing_the_day_before_the_commitment_end_is_still_blocked() -> None:
    line = make_line(contract=make_contract(commitment_end=date(2026, 9, 30)))
    result = check(line, make_intent(requested_date=date(2026, 9, 29)))
    assert result.blocker_codes == [BlockerCode.COMMITMENT_ACTIVE.value]


def test_a_commitment_that_has_ended_does_not_block() -> None:
    line = make_line(contract=make_contract(commitment_end=date(2026, 1, 1)))
    assert check(line).eligible


def test_closure_is_blocked_while_services_still_use_the_number() -> None:
    bindings = (
        Binding(binding_id=1, service="Bank A", category="bank"),
        Binding(binding_id=2, service="Chat B", category="social"),
    )
    line = make_line(active_bindings=bindings)
    blocker = only_blocker(check(line), BlockerCode.BINDINGS_PRESENT)
    assert "2 service(s)" in blocker.message
    unbind, acknowledge = blocker.remedies
    expected = (
        {"binding_id": 1, "service": "Bank A", "category": "bank"},
        {"binding_id": 2, "service": "Chat B", "category": "social"},
    )
    assert unbind.code is RemedyCode.UNBIND
    assert unbind.items == expected
    assert acknowledge.code is RemedyCode.ACKNOWLEDGE_BINDINGS
    assert acknowledge.items == expected


def test_bindings_blocker_lists_only_the_unacknowledged_bindings() -> None:
    bindings = (
        Binding(binding_id=1, service="Bank A", category="bank"),
        Binding(binding_id=2, service="Chat B", category="social"),
    )
    result = check(
        make_line(active_bindings=bindings),
        make_intent(acknowledged_binding_ids=frozenset({1})),
    )
    blocker = only_blocker(result, BlockerCode.BINDINGS_PRESENT)
    assert "1 service(s)" in blocker.message
    for remedy in blocker.remedies:
        assert remedy.items == ({"binding_id": 2, "service": "Chat B", "category": "social"},)


def test_acknowledging_every_binding_clears_the_blocker_with_a_warning_naming_them() -> None:
    bindings = (
        Binding(binding_id=1, service="Bank A", category="bank"),
        Binding(binding_id=2, service="Chat B", category="social"),
    )
    result = check(
        make_line(active_bindings=bindings),
        make_intent(acknowledged_binding_ids=frozenset({1, 2})),
    )
    assert result.eligible
    assert warning_codes(result) == ["BINDINGS_LEFT_KNOWINGLY"]
    assert "Bank A" in result.warnings[0].message
    assert "Chat B" in result.warnings[0].message


def test_closure_is_blocked_until_the_requester_proves_they_hold_the_line() -> None:
    result = check(intent=make_intent(identity_methods=frozenset()))
    blocker = only_blocker(result, BlockerCode.IDENTITY_NOT_VERIFIED)
    (remedy,) = blocker.remedies
    assert remedy.code is RemedyCode.VERIFY_IDENTITY
    assert {item["method"] for item in remedy.items} == {m.value for m in IdentityMethod}


@pytest.mark.parametrize("method", list(IdentityMethod))
def test_any_single_identity_method_satisfies_identity(method: IdentityMethod) -> None:
    assert check(intent=make_intent(identity_methods=frozenset({method}))).eligible


@pytest.mark.parametrize("status", [LineStatus.CLOSED, LineStatus.CLOSING])
def test_a_closed_or_closing_line_cannot_be_closed_again(status: LineStatus) -> None:
    blocker = only_blocker(check(make_line(status=status)), BlockerCode.LINE_NOT_ACTIVE)
    assert status.value in blocker.message
    assert [r.code for r in blocker.remedies] == [RemedyCode.NONE]


def test_a_suspended_line_can_be_closed_with_a_warning() -> None:
    result = check(make_line(status=LineStatus.SUSPENDED))
    assert result.eligible
    assert warning_codes(result) == ["LINE_SUSPENDED"]


def test_closure_waits_for_each_open_order() -> None:
    orders = (
        OpenOrder(kind="port_out", reference="PO-1"),
        OpenOrder(kind="sim_swap", reference="SS-2"),
    )
    result = check(make_line(open_orders=orders))
    assert result.blocker_codes == ["OPEN_ORDER", "OPEN_ORDER"]
    first, second = result.blockers
    assert "port out" in first.message
    assert "PO-1" in first.message
    assert first.remedies[0].code is RemedyCode.WAIT_FOR_ORDER
    assert first.remedies[0].items == ({"reference": "PO-1"},)
    assert "sim swap" in second.message
    assert second.remedies[0].items == ({"reference": "SS-2"},)


def test_closure_is_blocked_by_a_legal_hold() -> None:
    blocker = only_blocker(check(make_line(legal_hold=True)), BlockerCode.LEGAL_HOLD)
    assert [r.code for r in blocker.remedies] == [RemedyCode.CONTACT_SUPPORT]


@pytest.mark.parametrize(
    "methods",
    [
        frozenset({IdentityMethod.OTP}),
        frozenset({IdentityMethod.SERVICE_PASSWORD, IdentityMethod.ID_NUMBER}),
        frozenset(),
    ],
    ids=["otp", "password-and-id-number", "none"],
)
def test_a_line_reported_lost_needs_an_id_document_seen_in_a_store(
    methods: frozenset[IdentityMethod],
) -> None:
    result = check(make_line(lost_reported=True), make_intent(identity_methods=methods))
    blocker = only_blocker(result, BlockerCode.LOST_REPORTED)
    assert [r.code for r in blocker.remedies] == [RemedyCode.VERIFY_ID_DOCUMENT_IN_STORE]


def test_an_id_document_seen_in_a_store_clears_the_lost_report() -> None:
    intent = make_intent(identity_methods=frozenset({IdentityMethod.ID_DOCUMENT_SEEN}))
    assert check(make_line(lost_reported=True), intent).eligible


# --- All blockers at once ---------------------------------------------------------------------


def everything_wrong(**overrides: Any) -> LineFacts:
    values: dict[str, Any] = {
        "status": LineStatus.CLOSING,
        "unpaid_bills": (UnpaidBill(bill_id=1, amount_minor=500, due_on=date(2026, 2, 1)),),
        "contract": make_contract(),
        "active_bindings": (Binding(binding_id=1, service="Bank A", category="bank"),),
        "open_orders": (OpenOrder(kind="port_out", reference="PO-1"),),
        "legal_hold": True,
    }
    values.update(overrides)
    return make_line(**values)


def test_every_blocker_is_returned_together_not_only_the_first() -> None:
    result = check(everything_wrong(), make_intent(identity_methods=frozenset()))
    assert result.blocker_codes == [
        "LINE_NOT_ACTIVE",
        "ARREARS",
        "COMMITMENT_ACTIVE",
        "BINDINGS_PRESENT",
        "IDENTITY_NOT_VERIFIED",
        "OPEN_ORDER",
        "LEGAL_HOLD",
    ]
    assert not result.eligible


def test_a_lost_line_reports_the_lost_blocker_alongside_every_other_blocker() -> None:
    result = check(everything_wrong(lost_reported=True), make_intent(identity_methods=frozenset()))
    assert set(result.blocker_codes) == {
        "LINE_NOT_ACTIVE",
        "ARREARS",
        "COMMITMENT_ACTIVE",
        "BINDINGS_PRESENT",
        "LOST_REPORTED",
        "OPEN_ORDER",
        "LEGAL_HOLD",
    }
    # The in-store ID document check replaces the ordinary identity check.
    assert "IDENTITY_NOT_VERIFIED" not in result.blocker_codes


def test_blockers_still_come_with_a_quote_and_a_review_date() -> None:
    result = check(everything_wrong(), make_intent(identity_methods=frozenset()))
    assert result.quote.closure_date == TODAY
    assert result.review_due_on == date(2026, 3, 12)


# --- Warnings -------------------------------------------------------------------------------


def test_promotional_credit_is_flagged_as_forfeited() -> None:
    result = check(make_line(promo_credit_minor=800))
    assert result.eligible
    assert warning_codes(result) == ["PROMO_CREDIT_FORFEITED"]
    assert result.quote.forfeited_promo_credit.minor == 800


def test_a_refund_fee_is_flagged_where_the_profile_charges_one() -> None:
    line = make_line(currency="EUR", monthly_fee_minor=0, paid_credit_minor=2000)
    result = check(line, profile=profile_for("eu"), calendar=make_calendar("BE", "holidays"))
    assert warning_codes(result) == ["REFUND_FEE"]
    assert result.quote.refund_fee.minor == 500
    assert result.quote.refund.minor == 1500


def test_no_refund_fee_warning_when_there_is_no_balance_to_refund() -> None:
    line = make_line(currency="EUR", monthly_fee_minor=0, paid_credit_minor=0)
    result = check(line, profile=profile_for("eu"), calendar=make_calendar("BE", "holidays"))
    assert "REFUND_FEE" not in warning_codes(result)


def test_a_data_card_in_an_enterprise_fleet_is_flagged() -> None:
    result = check(make_line(kind=LineKind.DATA_ONLY, fleet=True))
    assert result.eligible
    assert warning_codes(result) == ["FLEET_DATA_CARD"]


@pytest.mark.parametrize(
    ("kind", "fleet"),
    [(LineKind.DATA_ONLY, False), (LineKind.SIM, True), (LineKind.ESIM, True)],
)
def test_only_fleet_data_cards_are_flagged(kind: LineKind, fleet: bool) -> None:
    assert "FLEET_DATA_CARD" not in warning_codes(check(make_line(kind=kind, fleet=fleet)))


def test_a_review_date_in_a_year_without_the_official_schedule_warns() -> None:
    result = check(today=date(2027, 3, 1))
    assert warning_codes(result) == ["CALENDAR_FALLBACK"]
    assert "2027" in result.warnings[0].message
    assert result.review_due_on == date(2027, 3, 3)


def test_warnings_accumulate_without_blocking() -> None:
    result = check(
        make_line(
            status=LineStatus.SUSPENDED,
            promo_credit_minor=100,
            kind=LineKind.DATA_ONLY,
            fleet=True,
            active_bindings=(Binding(binding_id=3, service="Bank A", category="bank"),),
        ),
        make_intent(acknowledged_binding_ids=frozenset({3})),
        today=date(2027, 3, 1),
    )
    assert result.eligible
    assert set(warning_codes(result)) == {
        "LINE_SUSPENDED",
        "BINDINGS_LEFT_KNOWINGLY",
        "PROMO_CREDIT_FORFEITED",
        "FLEET_DATA_CARD",
        "CALENDAR_FALLBACK",
    }


# --- Review date ----------------------------------------------------------------------------


def test_review_is_due_two_working_days_after_submission_in_china() -> None:
    assert profile_for("cn").review_working_days.value == 2
    assert check(today=date(2026, 3, 10)).review_due_on == date(2026, 3, 12)
    # Submitted on a Friday: the weekend is skipped.
    assert check(today=date(2026, 3, 13)).review_due_on == date(2026, 3, 17)


def test_review_submitted_before_spring_festival_counts_the_adjusted_saturday() -> None:
    # Friday 13 Feb 2026: Saturday 14 is a working day, 15 to 23 are off.
    result = check(today=date(2026, 2, 13))
    assert result.review_due_on == date(2026, 2, 24)
    assert result.warnings == ()


def test_review_date_follows_the_profile_override() -> None:
    profile = profile_for("cn", {"review_working_days": 5})
    assert check(profile=profile, today=date(2026, 3, 10)).review_due_on == date(2026, 3, 17)


def test_review_date_uses_the_uk_calendar_for_a_uk_profile() -> None:
    line = make_line(currency="GBP")
    result = check(
        line,
        profile=profile_for("uk"),
        calendar=make_calendar("GB", "holidays"),
        today=date(2026, 12, 24),
    )
    assert result.review_due_on == date(2026, 12, 30)
