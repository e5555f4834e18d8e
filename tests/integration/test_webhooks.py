"""Closure events delivered to a real receiver on loopback that verifies every signature with
the standardwebhooks library: retries with backoff when it is down, slow or failing, a dead
letter staff can retry, and a worker killed mid-delivery loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.db.models_money import WebhookSubscription
from lineclose.domain.states import Command
from lineclose.ports.clock import FrozenClock
from lineclose.services import operations
from lineclose.services.closure import transition
from lineclose.services.context import SYSTEM_ACTOR, Actor, Channel, Role
from lineclose.services.sweeps import release_aged_numbers
from lineclose.services.webhooks.subscriptions import automatic_notices, create_subscription
from lineclose.worker.dispatcher import RunOutcome, Worker
from tests.conftest import TEST_KEYS
from tests.factories import make_operator
from tests.support.payouts import closed_with_refund
from tests.support.webhook_receiver import Receiver

ADMIN = Actor(Role.ADMIN, "hooks", Channel.SYSTEM)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver(secret="").start()
    yield started
    started.stop()


@dataclass(frozen=True)
class Closed:
    id: int
    reference: str
    operator: str
    line_id: int


def _subscribe(app: App, receiver: Receiver, **extra: object) -> Closed:
    """An operator subscribed to every event, and one closed line with a refund waiting."""
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn", code=f"op-hooks-{id(receiver)}")
        made = create_subscription(session, app.deps, ADMIN, operator.code, receiver.url, **extra)  # type: ignore[arg-type]
        receiver.secret = made.secret
        refund = closed_with_refund(session, app.deps, operator, account="6222020200112233445")
        request = session.get(models.ClosureRequest, refund.request_id)
        assert request is not None
        request.status = "under_review"
        return Closed(request.id, request.reference, operator.code, request.line_id)


def _approve(app: App, request_id: int) -> None:
    with app.sessions.begin() as session:
        request = session.get(models.ClosureRequest, request_id)
        assert request is not None
        transition(session, app.deps, request, Command.APPROVE, SYSTEM_ACTOR)


def _row(app: App) -> models.OutboxRow:
    with app.sessions() as session:
        return session.execute(
            select(models.OutboxRow).where(models.OutboxRow.step == "webhook")
        ).scalar_one()


def test_events_reach_the_receiver_signed_and_bound_services_hear_of_the_closure(
    app: App, worker: Worker, receiver: Receiver, clock: FrozenClock
) -> None:
    request = _subscribe(app, receiver)
    with app.sessions.begin() as session:
        line = session.get(models.Line, request.line_id)
        assert line is not None
        session.add(
            models.Binding(
                line_id=line.id,
                service="WeChat Pay",
                category="payment",
                notify_on_closure=True,
                bound_on=clock.now().date(),
            )
        )
        number = session.get(models.Number, line.msisdn)
        assert number is not None
        number.state = "aging"
        number.aging_until = clock.now().date()
        assert automatic_notices(session, line.id, line.operator_id) == {}
        service = Receiver(secret="").start()
        made = create_subscription(
            session, app.deps, ADMIN, request.operator, service.url, service="WeChat Pay"
        )
        service.secret = made.secret
        assert automatic_notices(session, line.id, line.operator_id) == {"WeChat Pay": "webhook"}
        msisdn = line.msisdn
    try:
        _approve(app, request.id)
        with app.sessions.begin() as session:
            assert release_aged_numbers(session, app.deps) == 1
        worker.run_until_idle()
        assert receiver.types() == ["com.lineclose.approved", "com.lineclose.number.released"]
        assert service.types() == ["com.lineclose.number.released"]
        first = receiver.received[0]
        assert first.content_type.startswith("application/cloudevents+json")
        assert first.event["subject"] == request.reference
        assert first.event["id"] == first.webhook_id
        assert first.event["data"]["status"] == "approved"
        assert msisdn not in str(first.event) and msisdn[-4:] in first.event["data"]["msisdn"]
        assert receiver.forged == 0 and service.forged == 0
    finally:
        service.stop()
    forged = httpx.post(
        receiver.url,
        content=b"{}",
        headers={
            "webhook-id": "x",
            "webhook-timestamp": str(int(time.time())),
            "webhook-signature": "v1,AAAA",
        },
    )
    assert forged.status_code == 401 and receiver.forged == 1


def test_down_slow_and_failing_receivers_are_retried_with_backoff_then_dead_until_staff_retry(
    app: App, worker: Worker, receiver: Receiver, clock: FrozenClock
) -> None:
    app.settings.webhook_timeout_seconds = 0.5
    request = _subscribe(app, receiver, event_types=["approved"])
    receiver.stop()  # down: nothing listens on its port any more
    _approve(app, request.id)

    assert worker.run_one() == "retried"
    row = _row(app)
    assert row.available_at == clock.now() + timedelta(seconds=1)
    assert worker.run_one() == RunOutcome.IDLE  # not before its backoff
    clock.advance(timedelta(seconds=1))

    receiver.server = None
    revived = Receiver(secret=receiver.secret, mode="slow", slow_seconds=1.5).start()
    try:
        # The slow receiver answers after the sender's timeout: retried, though it got the event.
        _repoint(app, revived.url)
        assert worker.run_one() == "retried"
        assert _row(app).available_at == clock.now() + timedelta(seconds=2)
        clock.advance(timedelta(seconds=2))
        revived.mode = "fail500"
        assert worker.run_one() == "dead"  # third attempt of three
        assert _row(app).status == "dead"
        with app.sessions.begin() as session:
            operations.retry_dead_letter(session, app.deps, ADMIN, _row(app).id)
        revived.mode = "ok"
        assert worker.run_one() == "done"
        ids = {r.webhook_id for r in revived.received}
        assert len(revived.received) == 3 and len(ids) == 1  # repeats carry one event id
        assert revived.forged == 0
    finally:
        revived.stop()


def _repoint(app: App, url: str) -> None:
    with app.sessions.begin() as session:
        for sub in session.execute(select(WebhookSubscription)).scalars():
            sub.url = url


def test_a_worker_killed_mid_delivery_loses_nothing_and_repeats_only_the_same_event(
    app: App, worker: Worker, receiver: Receiver, clock: FrozenClock, database_url: str
) -> None:
    request = _subscribe(app, receiver, event_types=["approved"])
    _approve(app, request.id)
    receiver.mode = "hang"
    doomed = subprocess.Popen(
        [sys.executable, "-m", "tests.support.webhook_worker", database_url, TEST_KEYS],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"},
    )
    try:
        assert receiver.arrived.wait(30), "the doomed worker never delivered"
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(10)
    finally:
        if doomed.poll() is None:
            doomed.kill()
    receiver.mode = "ok"
    receiver.release.set()
    row = _row(app)
    assert row.status == "pending" and row.locked_by == "doomed-worker"
    assert worker.run_one() == RunOutcome.IDLE  # still leased to the dead worker
    clock.set(datetime.now(UTC) + timedelta(seconds=app.settings.worker_lease_seconds + 5))
    assert worker.run_one() == "done"
    assert _row(app).status == "done"
    assert len(receiver.received) == 2
    assert {r.webhook_id for r in receiver.received} == {row.payload["event_id"]}
