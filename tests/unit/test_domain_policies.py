"""Auto-approval: a clean request skips the reviewer only when every policy condition holds."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from lineclose.domain.calendars import WorkingCalendar
from lineclose.domain.eligibility import Eligibility, evaluate
from lineclose.domain.facts import (
    ClosureIntent,
    IdentityMethod,
    LineFacts,
    LineKind,
    LineStatus,
    PaymentMode,
    UnpaidBill,
)
from lineclose.domain.policies import AutoApprovalPolicy, decide_auto_approval
from lineclose.domain.profiles import profile_for

TODAY = date(2026, 3, 10)


def make_line(**overrides: Any) -> LineFacts:
    values: dict[str, Any] = {
        "msisdn": "+8613800138000",
        "kind": LineKind.SIM,
        "payment": PaymentMode.PREPAID,
        "status": LineStatus.ACTIVE,
        "currency": "CNY",
        "paid_credit_minor": 5000,
    }
    values.update(overrides)
    return LineFacts(**values)


def make_policy(**overrides: Any) -> AutoApprovalPolicy:
    values: dict[str, Any] = {
        "enabled": True,
        "identity_methods": frozenset({IdentityMethod.OTP}),
        "max_refund_minor": 10_000,
    }
    values.update(overrides)
    return AutoApprovalPolicy(**values)


def make_eligibility(
    line: LineFacts,
    methods: frozenset[IdentityMethod] = frozenset({IdentityMethod.OTP}),
    requested_date: date | None = None,
) -> Eligibility:
    return evaluate(
        line,
        ClosureIntent(requested_date=requested_date, identity_methods=methods),
        profile_for("cn"),
        WorkingCalendar(country="CN", source="chinesecalendar"),
        TODAY,
    )


def decide_for(
    policy: AutoApprovalPolicy | None = None,
    line: LineFacts | None = None,
    methods: frozenset[IdentityMethod] = frozenset({IdentityMethod.OTP}),
) -> tuple[bool, tuple[str, ...]]:
    the_line = line or make_line()
    decision = decide_auto_approval(
        policy or make_policy(), the_line, make_eligibility(the_line, methods)
    )
    return decision.approve, decision.reasons


def test_a_clean_request_within_every_condition_is_approved_with_its_reasons() -> None:
    approve, reasons = decide_for()
    assert approve
    assert reasons == ("identity verified by otp", "no blockers", "refund 5000 within 10000")


def test_nothing_is_auto_approved_while_the_policy_is_off() -> None:
    approve, reasons = decide_for(make_policy(enabled=False))
    assert not approve
    assert reasons == ("auto-approval is off for this operator",)


def test_the_default_policy_is_off() -> None:
    policy = AutoApprovalPolicy()
    assert not policy.enabled
    assert policy.identity_methods == frozenset({IdentityMethod.OTP})
    assert policy.max_refund_minor == 0
    assert not policy.allow_fleet_data_cards
    assert not decide_for(policy)[0]


def test_a_request_with_blockers_is_not_auto_approved() -> None:
    line = make_line(
        unpaid_bills=(UnpaidBill(bill_id=1, amount_minor=100, due_on=date(2026, 3, 1)),)
    )
    approve, reasons = decide_for(line=line)
    assert not approve
    assert reasons == ("the request has blockers",)


def test_identity_verified_by_a_method_outside_the_policy_is_not_enough() -> None:
    approve, reasons = decide_for(methods=frozenset({IdentityMethod.SERVICE_PASSWORD}))
    assert not approve
    assert reasons == ("identity was not verified by otp",)


def test_the_identity_reason_lists_every_allowed_method() -> None:
    policy = make_policy(identity_methods=frozenset({IdentityMethod.OTP, IdentityMethod.ID_NUMBER}))
    _, reasons = decide_for(policy, methods=frozenset({IdentityMethod.SERVICE_PASSWORD}))
    assert reasons == ("identity was not verified by id_number, otp",)


def test_one_allowed_method_among_several_used_is_enough() -> None:
    methods = frozenset({IdentityMethod.SERVICE_PASSWORD, IdentityMethod.OTP})
    approve, reasons = decide_for(methods=methods)
    assert approve
    assert reasons[0] == "identity verified by otp, service_password"


def test_a_refund_above_the_threshold_needs_a_reviewer() -> None:
    approve, reasons = decide_for(make_policy(max_refund_minor=4999))
    assert not approve
    assert reasons == ("refund above 4999 minor units",)


def test_a_refund_exactly_at_the_threshold_is_approved() -> None:
    assert decide_for(make_policy(max_refund_minor=5000))[0]


def test_a_fleet_data_card_is_not_auto_approved_unless_the_policy_allows_it() -> None:
    line = make_line(kind=LineKind.DATA_ONLY, fleet=True)
    approve, reasons = decide_for(line=line)
    assert not approve
    assert reasons == ("data card in an enterprise fleet",)
    assert decide_for(make_policy(allow_fleet_data_cards=True), line=line)[0]


@pytest.mark.parametrize(("kind", "fleet"), [(LineKind.DATA_ONLY, False), (LineKind.SIM, True)])
def test_only_fleet_data_cards_need_the_fleet_permission(kind: LineKind, fleet: bool) -> None:
    assert decide_for(line=make_line(kind=kind, fleet=fleet))[0]


def test_every_failed_condition_is_listed_in_order() -> None:
    line = make_line(
        kind=LineKind.DATA_ONLY,
        fleet=True,
        paid_credit_minor=50_000,
        legal_hold=True,
    )
    approve, reasons = decide_for(
        make_policy(enabled=False, max_refund_minor=100),
        line=line,
        methods=frozenset({IdentityMethod.ID_NUMBER}),
    )
    assert not approve
    assert reasons == (
        "auto-approval is off for this operator",
        "the request has blockers",
        "identity was not verified by otp",
        "refund above 100 minor units",
        "data card in an enterprise fleet",
    )


def test_a_future_dated_closure_is_not_auto_approved_when_future_dates_are_disallowed() -> None:
    line = make_line()
    eligibility = make_eligibility(line, requested_date=date(2026, 6, 1))
    decision = decide_auto_approval(make_policy(allow_future_dates=False), line, eligibility)
    assert not decision.approve


# --- Settings ------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [None, {}])
def test_missing_settings_give_the_default_policy(raw: dict[str, Any] | None) -> None:
    assert AutoApprovalPolicy.from_settings(raw) == AutoApprovalPolicy()


def test_settings_are_parsed_into_the_policy() -> None:
    policy = AutoApprovalPolicy.from_settings(
        {
            "enabled": True,
            "identity_methods": ["otp", "id_document_seen"],
            "max_refund_minor": "10000",
            "allow_fleet_data_cards": True,
            "allow_future_dates": False,
        }
    )
    assert policy == AutoApprovalPolicy(
        enabled=True,
        identity_methods=frozenset({IdentityMethod.OTP, IdentityMethod.ID_DOCUMENT_SEEN}),
        max_refund_minor=10_000,
        allow_fleet_data_cards=True,
        allow_future_dates=False,
    )


def test_settings_fill_missing_keys_with_defaults() -> None:
    policy = AutoApprovalPolicy.from_settings({"enabled": True})
    assert policy.enabled
    assert policy.identity_methods == frozenset({IdentityMethod.OTP})
    assert policy.max_refund_minor == 0
    assert not policy.allow_fleet_data_cards
    assert policy.allow_future_dates


def test_settings_with_an_unknown_identity_method_are_refused() -> None:
    with pytest.raises(ValueError):
        AutoApprovalPolicy.from_settings({"enabled": True, "identity_methods": ["fingerprint"]})


def test_settings_with_a_non_numeric_refund_threshold_are_refused() -> None:
    with pytest.raises(ValueError):
        AutoApprovalPolicy.from_settings({"max_refund_minor": "a lot"})
