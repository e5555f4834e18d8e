"""The precheck in sets decides every line as `evaluate` decides it alone (property-based)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from lineclose.domain.calendars import WorkingCalendar
from lineclose.domain.eligibility import evaluate
from lineclose.domain.eligibility_sets import columns_of, evaluate_set
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
from lineclose.domain.profiles import PROFILES, profile_for

TODAY = date(2026, 11, 25)
amounts = st.integers(min_value=0, max_value=200_000)
# Dates near today and the requested dates (the edges of every rule) and far from them.
days = (st.integers(-2, 4) | st.integers(-400, 800)).map(lambda n: TODAY + timedelta(days=n))

contracts = st.builds(
    Contract,
    commitment_end=days,
    etf_rule=st.sampled_from(EtfRule),
    etf_fixed_minor=amounts,
    etf_monthly_minor=amounts,
    processing_fee_minor=amounts,
)


@st.composite
def lines(draw: st.DrawFn) -> LineFacts:
    return LineFacts(
        msisdn=draw(st.from_regex(r"\+8613[0-9]{9}", fullmatch=True)),
        kind=draw(st.sampled_from(LineKind)),
        payment=draw(st.sampled_from(PaymentMode)),
        status=draw(st.sampled_from([LineStatus.ACTIVE, LineStatus.SUSPENDED, LineStatus.CLOSING])),
        currency=draw(st.sampled_from(["CNY", "EUR", "GBP", "USD"])),
        monthly_fee_minor=draw(amounts),
        billing_day=draw(st.integers(min_value=1, max_value=31)),
        paid_credit_minor=draw(amounts),
        promo_credit_minor=draw(st.sampled_from([0, 0, 500])),
        unbilled_usage_minor=draw(amounts),
        unpaid_bills=tuple(
            UnpaidBill(i, amount, due)
            for i, (amount, due) in enumerate(draw(st.lists(st.tuples(amounts, days), max_size=3)))
        ),
        contract=draw(st.none() | contracts),
        active_bindings=tuple(
            Binding(binding_id, "Alipay", "payment")
            for binding_id in draw(st.lists(st.integers(1, 6), max_size=3, unique=True))
        ),
        legal_hold=draw(st.booleans()),
        lost_reported=draw(st.booleans()),
        open_orders=tuple(
            OpenOrder(kind, f"R-{k}")
            for k, kind in enumerate(
                draw(st.lists(st.sampled_from(["port_out", "sim_swap", "closure"]), max_size=2))
            )
        ),
        fleet=draw(st.booleans()),
    )


intents = st.builds(
    ClosureIntent,
    requested_date=st.none()
    | (st.integers(0, 2) | st.integers(0, 120)).map(lambda n: TODAY + timedelta(days=n)),
    accept_etf=st.booleans(),
    acknowledged_binding_ids=st.frozensets(st.integers(1, 6), max_size=3),
    identity_methods=st.frozensets(st.sampled_from(IdentityMethod), max_size=2),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(lines(), min_size=1, max_size=12),
    intents,
    st.sampled_from(sorted(PROFILES)),
    st.sampled_from([None, 0, 250, 5_000]),
)
def test_each_line_of_a_set_gets_the_verdict_it_gets_alone(
    facts: list[LineFacts], intent: ClosureIntent, code: str, refund_fee: int | None
) -> None:
    profile = profile_for(
        code, {"refund_fee_minor": refund_fee} if refund_fee is not None else None
    )
    calendar = WorkingCalendar(profile.country, profile.calendar)
    verdicts = evaluate_set(columns_of(facts), intent, profile, calendar, TODAY)
    for i, line in enumerate(facts):
        alone = evaluate(line, intent, profile, calendar, TODAY)
        assert verdicts.blocker_codes[i] == tuple(b.code for b in alone.blockers)
        assert verdicts.warning_codes[i] == tuple(w.code for w in alone.warnings)
        assert verdicts.amount_due_minor[i] == alone.quote.amount_due.minor
        assert verdicts.refund_minor[i] == alone.quote.refund.minor
        assert verdicts.review_due_on == alone.review_due_on
        assert verdicts.closure_date == alone.closure_date
        assert columns_of(facts).line(i) == line
