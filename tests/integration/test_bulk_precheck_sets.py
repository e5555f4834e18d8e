"""The set-based bulk precheck decides every line exactly as the single-line precheck does."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.services.bulk import bulk_precheck
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.precheck import precheck
from lineclose.services.seed import seed_demo
from tests.factories import make_line, make_operator

ADMIN = Actor(Role.ADMIN, "test", Channel.API)


def test_bulk_and_single_line_prechecks_give_the_same_verdict_line_by_line(app: App) -> None:
    now = app.deps.clock.now()
    with app.sessions.begin() as session:
        seed_demo(session, app.deps)
        operator = make_operator(session, app.deps, "cn")
        busy = make_line(session, app.deps, operator, paid_credit_minor=1_500)
        # Two unpaid bills out of due-date order, an open port-out and a running contract.
        for amount, due in ((4_200, date(2026, 11, 1)), (1_100, date(2026, 9, 1))):
            session.add(
                models.Bill(
                    line_id=busy.id,
                    period_start=due,
                    period_end=due,
                    amount_minor=amount,
                    currency="CNY",
                    due_on=due,
                    lines_json=[],
                )
            )
        session.add(
            models.OpenOrder(
                line_id=busy.id, kind="port_out", reference="PO-1", status="open", created_at=now
            )
        )
        session.add(
            models.Contract(
                line_id=busy.id,
                commitment_end=now.date() + timedelta(days=90),
                etf_rule="fixed",
                etf_fixed_minor=9_900,
            )
        )
        make_line(session, app.deps, operator, paid_credit_minor=700)
        busy_msisdn = busy.msisdn
    seen: dict[str, set[str]] = {}
    with app.sessions() as session:
        for operator_row in session.execute(select(models.Operator)).scalars().all():
            for verdict in bulk_precheck(session, app.deps, operator_row):
                single = precheck(session, app.deps, ADMIN, verdict.msisdn)
                assert verdict.eligibility == single, verdict.msisdn
                seen[verdict.msisdn] = {b.code.value for b in verdict.eligibility.blockers}
    assert len(seen) >= 12
    every = set().union(*seen.values())
    assert {"ARREARS", "COMMITMENT_ACTIVE", "BINDINGS_PRESENT", "LEGAL_HOLD"} <= every
    assert {"ARREARS", "COMMITMENT_ACTIVE", "OPEN_ORDER"} <= seen[busy_msisdn]
