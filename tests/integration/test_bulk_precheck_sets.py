"""The set-based bulk precheck decides every line exactly as the single-line precheck does."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.db.models_fleet import FleetBatchLine
from lineclose.domain.eligibility import BlockerCode, Eligibility, evaluate
from lineclose.domain.facts import ClosureIntent, IdentityMethod
from lineclose.services import bulk
from lineclose.services.bulk import LineVerdict, bulk_precheck
from lineclose.services.context import Actor, Channel, Deps, Role
from lineclose.services.fleet import batches
from lineclose.services.fleet import precheck as precheck_sets
from lineclose.services.fleet.rows import parse_rows
from lineclose.services.identity import IdentityEvidence
from lineclose.services.lines import calendar_for, line_facts, local_today, profile_of
from lineclose.services.precheck import precheck
from lineclose.services.reads.bulk_lines import operator_by_code
from lineclose.services.seed import seed_demo
from lineclose.services.views import blocker_view
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


def _mix(session: Session, deps: Deps, operator: models.Operator, fleet: str) -> None:
    """Lines with every kind of fact, alone and together, in the operator's currency."""
    now = deps.clock.now()
    today = now.date()
    currency = profile_of(operator).currency
    serial = itertools.count()

    def line(**spec: Any) -> models.Line:
        return make_line(session, deps, operator, **spec)

    def order(line_id: int, kind: str, status: str) -> None:
        session.add(
            models.OpenOrder(
                line_id=line_id,
                kind=kind,
                reference=f"{operator.code}-{kind}-{next(serial)}",
                status=status,
                created_at=now,
            )
        )

    def request(line_id: int, status: str, scheduled_for: date | None = None) -> None:
        n = next(serial)
        session.add(
            models.ClosureRequest(
                reference=f"LC-{operator.code}-{n}",
                operator_id=operator.id,
                line_id=line_id,
                status=status,
                channel="api",
                submitted_by="test",
                payload_digest="0" * 64,
                scheduled_for=scheduled_for,
                submitted_at=now,
                created_at=now,
                updated_at=now,
            )
        )

    line()  # no facts, no credit
    line(paid_credit_minor=2_000)  # prepaid credit: a refund
    line(payment="postpaid", monthly_fee_minor=5_800, billing_day=31, unbilled_usage_minor=730)
    line(
        payment="postpaid",
        monthly_fee_minor=9_900,
        billing_day=7,
        paid_credit_minor=30_000,
        promo_credit_minor=1_000,
    )
    line(promo_credit_minor=500, paid_credit_minor=120)
    line(kind="data-only", fleet_account=fleet, paid_credit_minor=90)
    line(kind="esim", fleet_account=fleet)
    line(lost_reported=True, paid_credit_minor=10)
    line(legal_hold=True)
    suspended = line(paid_credit_minor=300)
    suspended.status = "suspended"
    closing = line()
    closing.status = "closing"
    closed = line(paid_credit_minor=700)
    closed.status = "closed"
    # Bills out of due-date order, one of them paid (not a fact any more).
    billed = line(
        unpaid_bills=[(4_200, today - timedelta(days=3)), (1_100, today - timedelta(days=70))]
    )
    paid = models.Bill(
        line_id=billed.id,
        period_start=today,
        period_end=today,
        amount_minor=999,
        currency=currency,
        due_on=today - timedelta(days=100),
        paid_at=now,
        lines_json=[],
    )
    session.add(paid)
    # Contracts: each fee rule, running, ending today, ended.
    end = today + timedelta(days=200)
    line(contract={"commitment_end": end, "etf_rule": "fixed", "etf_fixed_minor": 9_900})
    line(
        payment="postpaid",
        monthly_fee_minor=4_000,
        contract={
            "commitment_end": end,
            "etf_rule": "remaining_months",
            "etf_monthly_minor": 1_500,
            "processing_fee_minor": 2_500,
        },
    )
    line(contract={"commitment_end": end, "etf_rule": "none"})
    line(contract={"commitment_end": today, "etf_rule": "fixed", "etf_fixed_minor": 5_000})
    line(contract={"commitment_end": today - timedelta(days=30), "etf_rule": "fixed"})
    # Bindings, one of them already unbound.
    bound = line(
        bindings=[
            {"service": "Alipay", "category": "payment"},
            {"service": "WeChat", "category": "social"},
            {"service": "Bank", "category": "bank", "unbound_on": today},
        ]
    )
    # Orders: an open port-out, a finished SIM swap; closure requests scheduled, under review
    # and closed.
    ordered = line(paid_credit_minor=50)
    order(ordered.id, "port_out", "open")
    order(ordered.id, "sim_swap", "done")
    scheduled = line()
    request(scheduled.id, "scheduled", today + timedelta(days=14))
    request(scheduled.id, "closed")
    reviewed = line()
    request(reviewed.id, "under_review")
    order(reviewed.id, "sim_swap", "open")
    # Everything at once.
    everything = line(
        payment="postpaid",
        monthly_fee_minor=12_800,
        billing_day=15,
        paid_credit_minor=100,
        promo_credit_minor=800,
        unbilled_usage_minor=450,
        legal_hold=True,
        lost_reported=True,
        fleet_account=fleet,
        kind="data-only",
        unpaid_bills=[(3_000, today)],
        contract={"commitment_end": end, "etf_rule": "fixed", "etf_fixed_minor": 7_000},
        bindings=[{"service": "Alipay", "category": "payment"}],
    )
    everything.status = "suspended"
    order(everything.id, "port_out", "open")
    request(everything.id, "approved")
    assert bound.id and paid.line_id


def _same(verdict: LineVerdict, single: Eligibility) -> None:
    assert verdict.eligibility == single, verdict.msisdn
    assert verdict.blocker_codes == tuple(b.code for b in single.blockers), verdict.msisdn
    assert verdict.warning_codes == tuple(w.code for w in single.warnings), verdict.msisdn
    assert verdict.amount_due_minor == single.quote.amount_due.minor, verdict.msisdn
    assert verdict.refund_minor == single.quote.refund.minor, verdict.msisdn
    assert verdict.eligible is single.eligible


def test_bulk_verdicts_over_every_kind_of_fact_in_four_jurisdictions(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cn, eu, uk (with an operator's refund fee) and us operators, their lines interleaved so
    every chunk's id range holds other operators' lines; chunks of 7 lines."""
    monkeypatch.setattr(bulk, "CHUNK", 7)
    with app.sessions.begin() as session:
        operators = [
            make_operator(session, app.deps, "cn"),
            make_operator(session, app.deps, "eu"),
            make_operator(session, app.deps, "uk", overrides={"refund_fee_minor": 150}),
            make_operator(session, app.deps, "us"),
        ]
        for operator in operators:
            _mix(session, app.deps, operator, "FLEET-9")
        codes = [o.code for o in operators]
    blockers: set[str] = set()
    warnings: set[str] = set()
    currencies: set[str] = set()
    eligible = 0
    document = (IdentityEvidence(IdentityMethod.ID_DOCUMENT_SEEN, "passport"),)
    with app.sessions() as session:
        for code in codes:
            operator = operator_by_code(session, code)
            verdicts = list(bulk_precheck(session, app.deps, operator))
            assert len(verdicts) == 22  # the closed line is not prechecked
            for verdict in verdicts:
                single = precheck(session, app.deps, ADMIN, verdict.msisdn)
                _same(verdict, single)
                blockers.update(verdict.blocker_codes)
                warnings.update(verdict.warning_codes)
                currencies.add(single.quote.currency)
            # Identity recorded for the whole set: lost lines still need the document, which
            # the store has seen here.
            for verdict in bulk_precheck(
                session,
                app.deps,
                operator,
                identity_methods=frozenset({IdentityMethod.ID_DOCUMENT_SEEN}),
            ):
                _same(
                    verdict, precheck(session, app.deps, ADMIN, verdict.msisdn, identity=document)
                )
                eligible += verdict.eligible
            fleet = list(bulk_precheck(session, app.deps, operator, "FLEET-9"))
            assert len(fleet) == 3
            for verdict in fleet:
                _same(verdict, precheck(session, app.deps, ADMIN, verdict.msisdn))
    assert blockers == {code.value for code in BlockerCode}
    assert {"LINE_SUSPENDED", "PROMO_CREDIT_FORFEITED", "REFUND_FEE", "FLEET_DATA_CARD"} <= warnings
    assert currencies == {"CNY", "EUR", "GBP", "USD"}
    assert eligible >= 4 * 5


def test_bulk_precheck_reads_six_statements_per_chunk_whatever_the_facts(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "CHUNK", 10)
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "eu")
        _mix(session, app.deps, operator, "FLEET-1")
        code = operator.code
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    with app.sessions() as session:
        operator = operator_by_code(session, code)
        event.listen(app.engine, "before_cursor_execute", count)
        try:
            verdicts = list(bulk_precheck(session, app.deps, operator))
        finally:
            event.remove(app.engine, "before_cursor_execute", count)
    # The calendar's overrides, then per chunk of 10 lines its page and five kinds of facts,
    # and the empty page that ends the run.
    assert len(verdicts) == 22
    assert len(statements) == 1 + 3 * 6 + 1


@pytest.mark.parametrize("sparse", [1, 1_000], ids=["read-by-ids", "read-by-range"])
def test_a_fleet_file_is_prechecked_card_by_card_as_the_single_line_precheck_decides(
    app: App, monkeypatch: pytest.MonkeyPatch, sparse: int
) -> None:
    """Every kind of fact, the cards scattered among another operator's lines, chunks of 5,
    some cards closing on a later date and one listed by its number and again by its serial;
    each batch line holds the single-line verdict under the fleet authorisation. Listed odd ids
    first, so a chunk's lines are every other line: read by their ids, or over their range."""
    monkeypatch.setattr(precheck_sets, "CHUNK", 5)
    monkeypatch.setattr(bulk, "SPARSE", sparse)
    with app.sessions.begin() as session:
        before = make_operator(session, app.deps, "cn")
        operator = make_operator(session, app.deps, "cn")
        after = make_operator(session, app.deps, "cn")
        _mix(session, app.deps, before, "FLEET-8")
        _mix(session, app.deps, operator, "FLEET-9")
        _mix(session, app.deps, after, "FLEET-8")
        code = operator.code
        listed = session.execute(
            select(models.Line.msisdn, models.Line.iccid)
            .where(models.Line.operator_id == operator.id, models.Line.status != "closed")
            .order_by(models.Line.id % 2, models.Line.id.desc())
        ).all()
    later = app.deps.clock.now().date() + timedelta(days=45)
    rows = ["card,requested_date"]
    for n, (msisdn, iccid) in enumerate(listed):
        rows.append(f"{iccid if n % 4 == 1 else msisdn},{later if n % 3 == 0 else ''}")
    rows.append(f"{listed[0][1]},")
    loader = Actor(Role.AGENT, "loader", Channel.BULK)
    authorisation = batches.FleetAuthorisation("it@acme.example", "board resolution 7")
    with app.sessions.begin() as session:
        loaded = batches.load(
            session,
            app.deps,
            loader,
            code,
            parse_rows([r + "\n" for r in rows], "CN"),
            authorisation,
        )
        batch_id = loaded.batch.id
        summary = loaded.batch.summary
    with app.sessions() as session:
        stored = session.execute(
            select(FleetBatchLine, models.Line)
            .join(models.Line, models.Line.id == FleetBatchLine.line_id)
            .where(FleetBatchLine.batch_id == batch_id)
            .order_by(FleetBatchLine.row_number)
        ).all()
        assert len(stored) == len(listed) + 1
        profile = profile_of(operator_by_code(session, code))
        calendar = calendar_for(session, profile)
        today = local_today(profile, app.deps.clock.now())
        blocked: set[str] = set()
        for batch_line, line in stored:
            intent = ClosureIntent(
                requested_date=batch_line.requested_date,
                identity_methods=frozenset({IdentityMethod.FLEET_AUTHORISATION}),
            )
            single = evaluate(line_facts(session, line), intent, profile, calendar, today)
            assert batch_line.state == ("blocked" if single.blockers else "clean"), line.msisdn
            assert batch_line.blockers == [blocker_view(b) for b in single.blockers]
            assert batch_line.refund_minor == single.quote.refund.minor
            blocked.update(single.blocker_codes)
    assert summary["blocked"] == sum(1 for b, _ in stored if b.state == "blocked") > 0
    assert set(summary["blockers"]) == blocked
    assert summary["refund_minor"] == sum(b.refund_minor for b, _ in stored)
    assert {b.requested_date for b, _ in stored} == {None, later}
