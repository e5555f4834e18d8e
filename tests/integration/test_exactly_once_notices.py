"""A notice whose send was interrupted is never sent again blindly: the worker settles it from
the gateway's delivery report, or leaves it uncertain for staff."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.ports.clock import FrozenClock
from lineclose.services import operations, sms_callbacks
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.notices import SEND_SMS, enqueue_sms
from lineclose.worker.dispatcher import Worker

ADMIN = Actor(Role.ADMIN, "ops", Channel.SYSTEM)
KEY = "7:notice:approved:1"


def _enqueue(app: App) -> int:
    with app.sessions.begin() as session:
        enqueue_sms(
            session,
            app.deps,
            key=KEY,
            to="+8613900000001",
            notice="approved",
            locale="en",
            values={"reference": "LC-2026-ABCDEF", "msisdn": "139****0001", "date": "2026-11-25"},
        )
        row = session.execute(
            select(models.OutboxRow).where(models.OutboxRow.idempotency_key == KEY)
        ).scalar_one()
        return row.id


def _interrupt(app: App, clock: FrozenClock) -> None:
    """A worker claims the send, commits its attempt mark, then dies before the outcome."""
    doomed = Worker(app.sessions, app.deps, name="doomed")
    claimed = doomed._claim()
    assert claimed is not None and claimed.step == SEND_SMS
    assert doomed._mark_attempt(claimed)
    clock.advance(timedelta(seconds=app.deps.settings.worker_lease_seconds + 1))


def _row(app: App, row_id: int) -> models.OutboxRow:
    with app.sessions() as session:
        row = session.get(models.OutboxRow, row_id)
        assert row is not None
        return row


def test_an_interrupted_send_is_not_repeated_and_becomes_uncertain_for_staff(
    app: App, worker: Worker, clock: FrozenClock
) -> None:
    row_id = _enqueue(app)
    _interrupt(app, clock)

    worker.run_until_idle()

    assert _row(app, row_id).status == "uncertain"
    assert app.deps.sms.sent == []  # type: ignore[attr-defined]
    with app.sessions.begin() as session:
        operations.retry_dead_letter(session, app.deps, ADMIN, row_id)
    worker.run_until_idle()
    assert _row(app, row_id).status == "done"
    assert len(app.deps.sms.sent) == 1  # type: ignore[attr-defined]


def test_a_delivery_report_settles_an_interrupted_send_without_sending_again(
    app: App, worker: Worker, clock: FrozenClock
) -> None:
    app.deps.sms.reports_delivery = True
    row_id = _enqueue(app)
    _interrupt(app, clock)
    with app.sessions.begin() as session:
        report = sms_callbacks.Report(KEY, 8, "buffered", None, "fake")
        assert sms_callbacks.record_delivery_report(session, app.deps, report).new

    worker.run_until_idle()

    row = _row(app, row_id)
    assert row.status == "done"
    assert row.result is not None and row.result["confirmed_by"] == "delivery_report"
    assert app.deps.sms.sent == []  # type: ignore[attr-defined]


def test_without_a_report_the_worker_waits_for_one_then_gives_up_as_uncertain(
    app: App, worker: Worker, clock: FrozenClock
) -> None:
    app.deps.sms.reports_delivery = True
    row_id = _enqueue(app)
    _interrupt(app, clock)

    worker.run_until_idle()
    assert _row(app, row_id).status == "pending"
    clock.advance(timedelta(seconds=app.deps.settings.sms_report_wait_seconds))
    worker.run_until_idle()

    assert _row(app, row_id).status == "uncertain"
    assert app.deps.sms.sent == []  # type: ignore[attr-defined]


def test_a_gateway_that_refused_the_call_is_simply_asked_again(
    app: App, worker: Worker, clock: FrozenClock
) -> None:
    row_id = _enqueue(app)
    app.deps.sms.fail_next_send()  # type: ignore[attr-defined]

    worker.run_until_idle()
    assert _row(app, row_id).status == "pending"
    assert _row(app, row_id).result is None  # the mark is cleared: the gateway did not act
    clock.advance(timedelta(minutes=1))
    worker.run_until_idle()

    assert _row(app, row_id).status == "done"
    assert len(app.deps.sms.sent) == 1  # type: ignore[attr-defined]


def test_a_repeated_delivery_report_is_kept_once(app: App) -> None:
    report = sms_callbacks.Report(KEY, 1, "delivered", None, None)
    with app.sessions.begin() as session:
        first = sms_callbacks.record_delivery_report(session, app.deps, report)
    with app.sessions.begin() as session:
        again = sms_callbacks.record_delivery_report(session, app.deps, report)
        kept = sms_callbacks.delivery_reports(session, KEY)

    assert (first.new, again.new) == (True, False)
    assert [r["status"] for r in kept] == ["delivered"]
