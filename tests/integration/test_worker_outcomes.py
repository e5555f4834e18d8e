"""The worker tells a lost lease apart from an empty queue, and keeps draining after one."""

from __future__ import annotations

from sqlalchemy import select, update

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.db.outbox import Claimed
from lineclose.domain.outbox import OutboxStatus
from lineclose.services.notices import enqueue_sms
from lineclose.worker.dispatcher import RunOutcome, Worker

KEYS = ("9:notice:approved:1", "9:notice:approved:2")


class OvertakenOnce(Worker):
    """A worker whose lease on its first step runs out just before it marks its attempt,
    and another worker takes the step over (what a long GC pause or a stalled disk does)."""

    overtaken = False

    def _mark_attempt(self, claimed: Claimed) -> bool:
        if not self.overtaken:
            self.overtaken = True
            with self.sessions.begin() as session:
                session.execute(
                    update(models.OutboxRow)
                    .where(models.OutboxRow.id == claimed.id)
                    .values(locked_by="faster-worker")
                )
        return super()._mark_attempt(claimed)


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


def test_nothing_due_is_idle_not_a_lost_lease(app: App) -> None:
    worker = Worker(app.sessions, app.deps, name="alone")
    worker.run_until_idle()
    assert worker.run_one() is RunOutcome.IDLE
