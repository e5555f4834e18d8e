"""Closure steps performed in batches: the set-based path leaves exactly what the one-request
path leaves (ledger, refunds, debts, certificates, line and number states, history, audit),
gateway steps are claimed together, a refused line fails alone, and a worker that dies in the
middle of a batch of notices never has one sent twice."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from lineclose.bootstrap import App
from lineclose.db import audit, models, outbox
from lineclose.db.models_money import Debt
from lineclose.domain.facts import IdentityMethod
from lineclose.ports.clock import FrozenClock
from lineclose.ports.errors import Rejected
from lineclose.services import closure
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.execution_sets import BATCH_RECORD
from lineclose.services.identity import IdentityEvidence
from lineclose.services.notices import notice_row
from lineclose.worker import batches
from lineclose.worker.batches import NOTICE_CHUNK
from lineclose.worker.dispatcher import RunOutcome, Worker
from tests.factories import make_line, make_operator

AGENT = Actor(Role.AGENT, "batch-agent", Channel.STORE)
BULK = Actor(Role.ADMIN, "batch-bulk", Channel.BULK)
REVIEWER = Actor(Role.REVIEWER, "batch-reviewer", Channel.SYSTEM)

# (payment, monthly fee, paid credit, usage, submitted in bulk, alternate contact, binding)
CASES: list[tuple[str, int, int, int, bool, str | None, bool]] = [
    ("prepaid", 0, 5_000, 300, False, None, False),  # refund
    ("postpaid", 5_800, 0, 700, False, "+8613900000099", False),  # small debt, written off?
    ("postpaid", 5_800, 0, 90_000, False, "owner@example.org", True),  # debt in collection
    ("prepaid", 0, 2_000, 0, True, "fleet@example.org", False),  # fleet card, refund
    ("postpaid", 5_800, 0, 90_000, True, "fleet@example.org", False),  # fleet card, debt
    ("prepaid", 0, 3_000, 100, True, "fleet@example.org", True),  # fleet card with a binding
]


def _requests(app: App, tag: str) -> list[int]:
    """One approved request per case, in case order."""
    ids = []
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn", code=f"op-{tag}")
        for payment, fee, credit, usage, bulk, contact, bound in CASES:
            line = make_line(
                session,
                app.deps,
                operator,
                payment=payment,
                monthly_fee_minor=fee,
                paid_credit_minor=credit,
                unbilled_usage_minor=usage,
                service_password=None,
                bindings=[
                    {
                        "service": "Alipay",
                        "category": "payment",
                        "notify_on_closure": True,
                        "notify_email": "unbind@alipay.example",
                    }
                ]
                if bound
                else [],
            )
            session.flush()
            bound_ids = session.execute(
                select(models.Binding.id).where(models.Binding.line_id == line.id)
            ).scalars()
            submitted = closure.submit(
                session,
                app.deps,
                BULK if bulk else AGENT,
                line.msisdn,
                closure.ClosureInput(
                    refund_account="6222020200112233445",
                    alternate_contact=contact,
                    acknowledged_bindings=tuple(bound_ids),
                    identity=(IdentityEvidence(IdentityMethod.ID_DOCUMENT_SEEN),),
                ),
            )
            request = submitted.request
            if request.status == "under_review":
                closure.approve(session, app.deps, REVIEWER, request.reference)
            assert request.status == "approved", (request.status, request.blockers)
            ids.append(request.id)
    return ids


def _state(app: App, ids: list[int]) -> list[dict[str, Any]]:
    """What execution left for each request, without ids, codes and numbers that differ."""
    found = []
    with app.sessions() as session:
        for request_id in ids:
            request = session.get(models.ClosureRequest, request_id)
            assert request is not None
            line = request.line
            bill = session.execute(
                select(models.Bill).where(
                    models.Bill.line_id == line.id, models.Bill.kind == "final"
                )
            ).scalar_one()
            refund = session.execute(
                select(models.RefundInstruction).where(
                    models.RefundInstruction.request_id == request_id
                )
            ).scalar_one_or_none()
            debt = session.execute(
                select(Debt).where(Debt.request_id == request_id)
            ).scalar_one_or_none()
            certificate = session.execute(
                select(models.Certificate).where(models.Certificate.request_id == request_id)
            ).scalar_one()
            number = session.get(models.Number, line.msisdn)
            assert number is not None
            events = session.execute(
                select(models.RequestEvent.command, models.RequestEvent.to_state)
                .where(models.RequestEvent.request_id == request_id)
                .order_by(models.RequestEvent.id)
            ).all()
            actions = Counter(
                session.execute(
                    select(models.AuditEntry.action).where(
                        models.AuditEntry.entity_id.in_([request.reference, str(line.id)])
                    )
                ).scalars()
            )
            content = dict(certificate.content)
            content.pop("reference")
            content.pop("masked_msisdn")
            found.append(
                {
                    "status": request.status,
                    "closed_at": request.closed_at,
                    "version": request.version,
                    "quote": request.quote,
                    "bill": (bill.amount_minor, bill.paid_at, bill.due_on, bill.lines_json),
                    "refund": refund and (refund.amount_minor, refund.status),
                    "debt": debt and (debt.amount_minor, debt.status, debt.reason),
                    "certificate": content,
                    "line": (
                        line.status,
                        line.closed_at,
                        line.paid_credit_minor,
                        line.promo_credit_minor,
                        line.unbilled_usage_minor,
                    ),
                    "number": (number.state, number.aging_until, number.last_disconnected_on),
                    "events": events,
                    "actions": actions,
                }
            )
    return found


def _notices(app: App, ids: list[int]) -> Counter[tuple[str, str]]:
    with app.sessions() as session:
        rows = session.execute(
            select(models.OutboxRow.step, models.OutboxRow.payload, models.OutboxRow.request_id)
            .where(models.OutboxRow.request_id.in_(ids))
            .where(models.OutboxRow.step.in_(["send_sms", "send_email"]))
        ).all()
    return Counter(
        (step, payload["notice"])
        for step, payload, _ in rows
        if payload["notice"] not in ("request_received", "approved")
    )


def _run_one_at_a_time(worker: Worker) -> None:
    while worker.run_one() is not RunOutcome.IDLE:
        pass


def test_a_batch_leaves_what_one_request_at_a_time_leaves(app: App, worker: Worker) -> None:
    statements: list[str] = []
    event.listen(app.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    alone = _requests(app, "alone")
    start = len(statements)
    _run_one_at_a_time(worker)
    one_by_one = len(statements) - start
    together = _requests(app, "together")
    start = len(statements)
    report = worker.run_batch()
    while report.performed:
        report = worker.run_batch()
    batched = len(statements) - start

    assert report.retried == report.dead == 0
    print(f"statements: one by one {one_by_one}, in batches {batched}")
    assert batched * 3 < one_by_one
    expected, got = _state(app, alone), _state(app, together)
    assert [s["status"] for s in got] == ["closed"] * len(CASES)
    for case, (one, batch) in enumerate(zip(expected, got, strict=True)):
        assert one == batch, f"case {case}: {CASES[case]}"
    assert any(s["refund"] for s in got) and any(s["debt"] for s in got)
    with app.sessions() as session:
        assert audit.verify_chain(session).first_broken_id is None

    # Requests submitted one by one keep their own notices; the fleet cards' contact has one
    # summary per finalized batch instead of one per card (one-at-a-time: one per card).
    one, batch = _notices(app, alone), _notices(app, together)
    assert one[("send_email", "fleet_closed_summary")] == 3
    assert batch[("send_email", "fleet_closed_summary")] == 1
    assert {k: v for k, v in one.items() if k[1] != "fleet_closed_summary"} == {
        k: v for k, v in batch.items() if k[1] != "fleet_closed_summary"
    }
    assert batch[("send_email", "third_party_closed")] == 2
    assert batch[("send_email", "debt_due")] == 1  # the fleet card's debt is in its summary
    sent = app.deps.email.sent  # type: ignore[attr-defined]
    summaries = [m for m in sent if m.to == "fleet@example.org" and m.body.count("LC-") > 1]
    assert len(summaries) == 1 and summaries[0].body.count("LC-") == 3


def _steps(app: App, ids: list[int]) -> list[tuple[str, str, int, str | None]]:
    with app.sessions() as session:
        return [
            (step, status, attempts, locked_by)
            for step, status, attempts, locked_by in session.execute(
                select(
                    models.OutboxRow.step,
                    models.OutboxRow.status,
                    models.OutboxRow.attempts,
                    models.OutboxRow.locked_by,
                ).where(
                    models.OutboxRow.request_id.in_(ids),
                    models.OutboxRow.step.in_(["bar_line", "settle", "finalize"]),
                )
            ).all()
        ]


def test_one_batch_bars_every_line_in_one_exchange_and_closes_every_request(
    app: App, worker: Worker
) -> None:
    """The bars that beginning execution enqueues are leased to the worker at once, sent to
    the HLR together, and settle and finalize follow in the transaction that records them:
    one batch takes the requests from approved to closed, each bar's row done once with the
    results of the steps that followed it, which have no rows of their own."""
    ids = _requests(app, "bars")
    hlr = app.deps.hlr
    before = hlr.effects.batch_calls  # type: ignore[attr-defined]

    report = worker.run_batch()

    assert hlr.effects.batch_calls == before + 1  # type: ignore[attr-defined]
    assert hlr.effects.bars_applied == len(ids)  # type: ignore[attr-defined]
    assert report.done >= 4 * len(ids) and report.retried == report.dead == 0
    with app.sessions() as session:
        statuses = session.execute(
            select(models.ClosureRequest.status).where(models.ClosureRequest.id.in_(ids))
        ).scalars()
        assert set(statuses) == {"closed"}
    steps = _steps(app, ids)
    assert Counter(step for step, *_ in steps) == {"bar_line": len(ids)}
    assert {(status, attempts, by) for _, status, attempts, by in steps} == {
        ("done", 1, worker.name)
    }
    with app.sessions() as session:
        results = dict(
            session.execute(
                select(models.OutboxRow.request_id, models.OutboxRow.result).where(
                    models.OutboxRow.request_id.in_(ids), models.OutboxRow.step == "bar_line"
                )
            ).all()
        )
        certificates = dict(
            session.execute(
                select(models.Certificate.request_id, models.Certificate.code).where(
                    models.Certificate.request_id.in_(ids)
                )
            ).all()
        )
    for request_id, result in results.items():
        assert result["barred"] is True
        assert set(result["settle"]) == {"refund_minor", "amount_due_minor"}
        assert result["finalize"]["certificate"] == certificates[request_id]


def test_updates_settle_holds_for_finalize_are_written_when_the_fused_steps_end_before_it(
    app: App, worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Settle leaves its line and quote updates for finalize to write with its own; should the
    fused steps end after settle, they are written then, and the requests close as they do one
    step at a time."""
    alone = _requests(app, "alone-held")
    _run_one_at_a_time(worker)
    ids = _requests(app, "held")
    monkeypatch.setitem(batches.FUSED, "settle", "none")  # finalize becomes a step of its own

    worker.run_batch()

    with app.sessions() as session:
        held = session.execute(
            select(
                models.ClosureRequest.status,
                models.ClosureRequest.quote,
                models.Line.paid_credit_minor,
            )
            .join(models.Line, models.Line.id == models.ClosureRequest.line_id)
            .where(models.ClosureRequest.id.in_(ids))
        ).all()
    assert {status for status, _, _ in held} == {"executing"}
    assert all(quote and "refund_minor" in quote for _, quote, _ in held)
    assert {credit for _, _, credit in held} == {0}
    assert {(step, status) for step, status, *_ in _steps(app, ids)} == {
        ("bar_line", "done"),
        ("finalize", "pending"),
    }
    worker.run_until_idle()
    assert _state(app, ids) == _state(app, alone)


def test_a_failing_fused_step_leaves_the_bars_recorded_and_the_rest_to_the_next_batch(
    app: App, worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should settle or finalize fail in the transaction that records the bars, the bars are
    recorded on their own (each line barred once), the later steps wait as due rows, and the
    next batches close every request with each effect once."""
    ids = _requests(app, "fused")
    finalize = BATCH_RECORD["finalize"]
    failed: list[bool] = []

    def fails_once(*args: Any) -> Any:
        if not failed:
            failed.append(True)
            raise RuntimeError("finalize failed")
        return finalize(*args)

    monkeypatch.setitem(BATCH_RECORD, "finalize", fails_once)

    worker.run_batch()

    assert failed
    assert app.deps.hlr.effects.bars_applied == len(ids)  # type: ignore[attr-defined]
    steps = _steps(app, ids)
    assert sorted({(step, status) for step, status, *_ in steps}) == [
        ("bar_line", "done"),
        ("settle", "pending"),
    ]
    worker.run_until_idle()
    expected = _state(app, ids)
    assert [s["status"] for s in expected] == ["closed"] * len(CASES)
    assert all(s["actions"]["hlr.barred"] == 1 for s in expected)
    assert all(s["actions"]["request.settled"] == 1 for s in expected)
    assert {status for _, status, *_ in _steps(app, ids)} == {"done"}
    with app.sessions() as session:
        assert audit.verify_chain(session).first_broken_id is None


def test_a_line_the_hlr_refuses_fails_alone_and_the_others_go_on(
    app: App, worker: Worker, clock: FrozenClock
) -> None:
    ids = _requests(app, "refused")
    with app.sessions.begin() as session:
        request = session.get(models.ClosureRequest, ids[0])
        assert request is not None
        refused_imsi = request.line.imsi
    original = app.deps.hlr.bar_many

    def bar_many(bars: Any) -> list[Any]:
        outcomes = original(bars)
        return [
            Rejected("hlr", "refused") if bar.imsi == refused_imsi else outcome
            for bar, outcome in zip(bars, outcomes, strict=True)
        ]

    app.deps.hlr.bar_many = bar_many  # type: ignore[method-assign]
    worker.run_until_idle()
    with app.sessions() as session:
        statuses = dict(
            session.execute(
                select(models.ClosureRequest.id, models.ClosureRequest.status).where(
                    models.ClosureRequest.id.in_(ids)
                )
            ).all()
        )
        dead = session.execute(
            select(models.OutboxRow).where(models.OutboxRow.status == "dead")
        ).scalar_one()
    assert statuses[ids[0]] == "executing"
    assert all(statuses[i] == "closed" for i in ids[1:])
    assert dead.step == "bar_line" and dead.request_id == ids[0]
    assert dead.last_error == "hlr: refused"


class DiesMidBatch(Worker):
    """Sends the first notices of a batch, then the process dies (nothing more is recorded)."""

    def __init__(self, app: App, sends: int) -> None:
        super().__init__(app.sessions, app.deps, name="dies-mid-batch")
        self.left = sends

    def _send(self, claimed: Any) -> dict[str, Any]:
        if self.left == 0:
            raise SystemExit("killed")
        self.left -= 1
        return super()._send(claimed)


def test_a_worker_dying_mid_batch_of_notices_has_none_sent_twice(
    app: App, worker: Worker, clock: FrozenClock
) -> None:
    _requests(app, "crash")
    sms = app.deps.sms
    with app.sessions() as session:
        due = session.execute(
            select(func.count()).where(
                models.OutboxRow.step == "send_sms", models.OutboxRow.status == "pending"
            )
        ).scalar_one()
    assert due >= 6
    doomed = DiesMidBatch(app, sends=3)
    with pytest.raises(SystemExit):
        doomed.run_batch()
    assert len(sms.sent) == 3  # type: ignore[attr-defined]
    clock.advance(timedelta(seconds=app.deps.settings.worker_lease_seconds + 1))

    worker.run_until_idle()

    keys = Counter(m.key for m in sms.sent)  # type: ignore[attr-defined]
    assert set(keys.values()) == {1}
    with app.sessions() as session:
        statuses = Counter(
            session.execute(
                select(models.OutboxRow.status).where(models.OutboxRow.step == "send_sms")
            ).scalars()
        )
    # The marked notices of the dead worker's chunk, sent or not, were not sent again: they
    # are uncertain for staff (this gateway sends no delivery reports); the notices of the
    # closures that followed were sent once each.
    assert statuses["uncertain"] == min(due, NOTICE_CHUNK)
    assert statuses["done"] + statuses["uncertain"] == sum(statuses.values())


def test_a_claim_leases_no_more_steps_than_asked(app: App) -> None:
    """More due steps than a batch takes: the claim leases `limit` of them, the earliest, and
    the next claim the following ones (PostgreSQL once leased them all, running the locking
    subquery again for each row its UPDATE changed)."""
    now = app.deps.clock.now()
    with app.sessions.begin() as session:
        outbox.enqueue_many(
            session,
            now,
            [
                {
                    "step": "send_sms",
                    "key": f"claim-limit:{n}",
                    "available_at": now - timedelta(seconds=n),
                }
                for n in range(30)
            ],
        )
    lease = timedelta(seconds=60)
    with app.sessions.begin() as session:
        first = outbox.claim_many(session, now, "w1", lease, {"send_sms"}, 7)
    with app.sessions.begin() as session:
        second = outbox.claim_many(session, now, "w1", lease, {"send_sms"}, 7)
    assert [c.key for c in first] == [f"claim-limit:{n}" for n in range(29, 22, -1)]
    assert [c.key for c in second] == [f"claim-limit:{n}" for n in range(22, 15, -1)]
    with app.sessions() as session:
        leased = session.execute(
            select(func.count()).where(models.OutboxRow.locked_by == "w1")
        ).scalar_one()
    assert leased == 14


class SlowSends(Worker):
    """Each send takes a tenth of the lease; notes whether the notice was still leased to it."""

    def __init__(self, app: App, clock: FrozenClock) -> None:
        super().__init__(app.sessions, app.deps, name="slow-sends")
        self.clock = clock
        self.leased: list[bool] = []

    def _send(self, claimed: Any) -> dict[str, Any]:
        with self.sessions() as session:
            row = session.get(models.OutboxRow, claimed.id)
            assert row is not None
            self.leased.append(
                row.locked_by == self.name
                and row.locked_until is not None
                and row.locked_until.replace(tzinfo=None) > self.clock.now().replace(tzinfo=None)
            )
        self.clock.advance(self._lease() / 10)
        return super()._send(claimed)


def test_notices_still_to_send_keep_their_lease_through_a_slow_batch(
    app: App, clock: FrozenClock
) -> None:
    with app.sessions.begin() as session:
        outbox.enqueue_many(
            session,
            clock.now(),
            [
                notice_row(
                    app.deps,
                    key=f"slow:{n}",
                    to="+8613900000099",
                    notice="request_received",
                    locale="en",
                    values={"reference": f"LC-{n}", "msisdn": "139****0099", "operator": "X"},
                )
                for n in range(3 * NOTICE_CHUNK)
            ],
        )
    slow = SlowSends(app, clock)

    slow.run_batch()

    assert slow.leased == [True] * (3 * NOTICE_CHUNK)
    assert len({m.key for m in app.deps.sms.sent}) == 3 * NOTICE_CHUNK  # type: ignore[attr-defined]


class RecordFailsOnce(Worker):
    """The first recording of sent notices fails (in the transaction that marks the next
    chunk): that chunk is recorded on its own, the next one marked on its own."""

    def __init__(self, app: App) -> None:
        super().__init__(app.sessions, app.deps, name="record-fails-once")
        self.failed = False

    def _turn_chunk(self, session: Any, sent: Any, *args: Any) -> Any:
        if sent and not self.failed:
            self.failed = True
            raise RuntimeError("recording failed")
        return super()._turn_chunk(session, sent, *args)


def test_a_chunk_whose_recording_fails_is_recorded_alone_and_none_is_sent_twice(
    app: App, clock: FrozenClock
) -> None:
    with app.sessions.begin() as session:
        outbox.enqueue_many(
            session,
            clock.now(),
            [
                notice_row(
                    app.deps,
                    key=f"record:{n}",
                    to="+8613900000099",
                    notice="request_received",
                    locale="en",
                    values={"reference": f"LC-{n}", "msisdn": "139****0099", "operator": "X"},
                )
                for n in range(2 * NOTICE_CHUNK + 3)
            ],
        )
    worker = RecordFailsOnce(app)

    report = worker.run_batch()

    assert worker.failed
    assert report.done == 2 * NOTICE_CHUNK + 3
    keys = Counter(m.key for m in app.deps.sms.sent)  # type: ignore[attr-defined]
    assert len(keys) == 2 * NOTICE_CHUNK + 3 and set(keys.values()) == {1}
    with app.sessions() as session:
        statuses = Counter(
            session.execute(
                select(models.OutboxRow.status).where(models.OutboxRow.step == "send_sms")
            ).scalars()
        )
    assert statuses == {"done": 2 * NOTICE_CHUNK + 3}
