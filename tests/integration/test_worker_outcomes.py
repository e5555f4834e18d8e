"""The worker tells a lost lease apart from an empty queue, and keeps draining after one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.db.outbox import Claimed
from lineclose.domain.outbox import OutboxStatus
from lineclose.services.notices import enqueue_sms
from lineclose.worker.dispatcher import RunOutcome, RunReport, Worker

KEYS = ("9:notice:approved:1", "9:notice:approved:2")


def _overtake(worker: Worker, claimed: Claimed) -> None:
    with worker.sessions.begin() as session:
        session.execute(
            update(models.OutboxRow)
            .where(models.OutboxRow.id == claimed.id)
            .values(locked_by="faster-worker")
        )


class OvertakenOnce(Worker):
    """A worker whose lease on its first step runs out just before it marks its attempt,
    and another worker takes the step over (what a long GC pause or a stalled disk does)."""

    overtaken = False

    def _mark_attempt(self, claimed: Claimed) -> bool:
        if not self.overtaken:
            self.overtaken = True
            _overtake(self, claimed)
        return super()._mark_attempt(claimed)

    def run_batch(self) -> RunReport:
        return RunReport()  # one step at a time, as `run_one` takes them


class OvertakenInBatch(Worker):
    """A worker whose lease on its first notice of a batch runs out while it sends it: the
    notice was sent (its mark stands for the worker that took it over), and its outcome is
    not recorded by this worker, which reports the lease lost and records the other one."""

    overtaken = False

    def _send(self, claimed: Claimed) -> dict[str, Any]:
        if not self.overtaken:
            self.overtaken = True
            _overtake(self, claimed)
        return super()._send(claimed)


def _enqueue_two(app: App) -> None:
    with app.sessions.begin() as session:
        for key in KEYS:
            enqueue_sms(
                session,
                app.deps,
                key=key,
                to="+8613900000001",
                notice="approved",
                locale="en",
                values={"reference": "LC-2026-X", "msisdn": "139****0001", "date": "2026-11-25"},
            )


def _statuses(app: App) -> dict[str, str]:
    with app.sessions() as session:
        rows = session.execute(
            select(models.OutboxRow.idempotency_key, models.OutboxRow.status).where(
                models.OutboxRow.idempotency_key.in_(KEYS)
            )
        ).all()
    return {key: status for key, status in rows}


def test_a_lost_lease_is_reported_as_such_and_the_run_goes_on_to_the_next_step(
    app: App,
) -> None:
    _enqueue_two(app)
    worker = OvertakenOnce(app.sessions, app.deps, name="slow-worker")

    report = worker.run_until_idle()

    assert report.lease_lost == 1
    assert report.done == 1
    statuses = _statuses(app)
    # The overtaken step is left to the worker that took it; the other one was sent.
    assert sorted(statuses.values()) == [OutboxStatus.DONE, OutboxStatus.PENDING]


def test_a_lease_lost_in_a_batch_is_reported_and_the_notice_is_not_sent_again(
    app: App,
) -> None:
    _enqueue_two(app)
    worker = OvertakenInBatch(app.sessions, app.deps, name="batch-worker")

    report = worker.run_batch()

    assert (report.lease_lost, report.done) == (1, 1)
    assert len(app.deps.sms.sent) == 2  # type: ignore[attr-defined]
    assert sorted(_statuses(app).values()) == [OutboxStatus.DONE, OutboxStatus.PENDING]
    with app.sessions() as session:
        mark = session.execute(
            select(models.OutboxRow.result).where(
                models.OutboxRow.idempotency_key.in_(KEYS), models.OutboxRow.status == "pending"
            )
        ).scalar_one()
        assert mark and "attempted_at" in mark  # its new holder resolves it, never resends


def test_nothing_due_is_idle_not_a_lost_lease(app: App) -> None:
    worker = Worker(app.sessions, app.deps, name="alone")
    worker.run_until_idle()
    assert worker.run_one() is RunOutcome.IDLE
