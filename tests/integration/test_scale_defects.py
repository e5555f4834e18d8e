"""Defects that only show at operator scale: a request taking a second pooled connection,
a worker run that stops while steps are still due, batched steps failing one by one, and the
audit chain under parallel writers."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, insert, select

from lineclose.bootstrap import App, bootstrap
from lineclose.config import Settings
from lineclose.db import audit, models
from lineclose.services import limiter
from lineclose.services.closure import BEGIN_EXECUTION
from lineclose.services.context import Role
from lineclose.worker.dispatcher import Worker
from tests.api.helpers import staff
from tests.factories import make_line, make_operator

SUBMISSION = {
    "channel": "store",
    "identity": [{"method": "id_document_seen"}],
    "refund_account": "6222020200112233445",
}


def _under_review(app: App, client: TestClient) -> int:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn")
        msisdn = make_line(session, app.deps, operator, paid_credit_minor=2_000).msisdn
    agent = staff(app, Role.AGENT, "agent-scale")
    answer = client.post(
        "/api/v1/closure-requests", json={**SUBMISSION, "msisdn": msisdn}, headers=agent
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "under_review"
    with app.sessions() as session:
        return session.execute(select(models.ClosureRequest.id)).scalar_one()


def test_a_rate_limited_precheck_holds_one_pooled_connection_at_a_time(
    app: App, client: TestClient
) -> None:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn")
        msisdn = make_line(session, app.deps, operator).msisdn
    agent = staff(app, Role.AGENT, "agent-pool")
    held = {"now": 0, "most": 0}
    lock = threading.Lock()

    def out(*_: Any) -> None:
        with lock:
            held["now"] += 1
            held["most"] = max(held["most"], held["now"])

    def back(*_: Any) -> None:
        with lock:
            held["now"] -= 1

    event.listen(app.engine, "checkout", out)
    event.listen(app.engine, "checkin", back)
    answer = client.post("/api/v1/precheck", json={"msisdn": msisdn}, headers=agent)
    assert answer.status_code == 200, answer.text
    assert held["most"] == 1, "a second connection was taken while the request held one"
    # Counted once, outside the database: the limiter never takes a pooled connection.
    limit = limiter.precheck_limit(app.deps)
    assert limiter.remaining(app.deps, limit, "agent:agent-pool") == limit.limit - 1


def test_the_database_pool_is_at_least_as_large_as_the_api_threads(settings: Settings) -> None:
    wired = bootstrap(settings.model_copy(update={"api_threads": 24}))
    try:
        assert wired.engine.pool.size() >= 24  # type: ignore[attr-defined]
    finally:
        wired.engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_run_until_idle_performs_more_than_ten_thousand_due_steps(
    app: App, client: TestClient
) -> None:
    request_id = _under_review(app, client)
    now = app.deps.clock.now()
    due = 10_050
    with app.sessions.begin() as session:
        session.execute(
            insert(models.OutboxRow),
            [
                {
                    "request_id": request_id,
                    "step": BEGIN_EXECUTION,
                    "idempotency_key": f"bulk-{n}",
                    "payload": {},
                    "status": "pending",
                    "attempts": 0,
                    "available_at": now,
                    "created_at": now,
                }
                for n in range(due)
            ],
        )
    app.deps.settings.worker_batch = 1_000
    report = Worker(app.sessions, app.deps, name="once").run_until_idle()
    assert report.done >= due
    with app.sessions() as session:
        left = session.execute(
            select(func.count()).where(models.OutboxRow.status == "pending")
        ).scalar_one()
    assert left == 0


def test_a_failing_step_in_a_batch_is_retried_alone_and_the_others_commit(
    app: App, client: TestClient, worker: Worker
) -> None:
    request_id = _under_review(app, client)
    worker.run_until_idle()
    now = app.deps.clock.now()
    with app.sessions.begin() as session:
        audited_before = session.execute(select(func.count(models.AuditEntry.id))).scalar_one()
        session.execute(
            insert(models.OutboxRow),
            [
                {
                    "request_id": rid,
                    "step": BEGIN_EXECUTION,
                    "idempotency_key": key,
                    "payload": {},
                    "status": "pending",
                    "attempts": 0,
                    "available_at": now,
                    "created_at": now,
                }
                for rid, key in ((request_id, "good-1"), (None, "broken"), (request_id, "good-2"))
            ],
        )
    report = worker.run_batch()
    assert (report.done, report.retried) == (2, 1)
    with app.sessions() as session:
        rows = {
            row.idempotency_key: row
            for row in session.execute(select(models.OutboxRow)).scalars()
            if row.idempotency_key in ("good-1", "broken", "good-2")
        }
        assert rows["good-1"].status == rows["good-2"].status == "done"
        assert rows["good-1"].result == {"skipped": "request is under_review"}
        assert rows["broken"].status == "pending"
        assert rows["broken"].attempts == 1
        assert rows["broken"].last_error == "unexpected AssertionError"
        assert rows["broken"].locked_by is None
        audited = session.execute(select(func.count(models.AuditEntry.id))).scalar_one()
        assert audited == audited_before
        assert audit.verify_chain(session).first_broken_id is None


def test_an_audit_entry_of_a_rolled_back_transaction_is_never_chained(app: App) -> None:
    now = app.deps.clock.now()
    with app.sessions.begin() as session:
        audit.append(session, now, "tester", "kept.one", "thing", "1")
    session = app.sessions()
    audit.append(session, now, "tester", "dropped", "thing", "2")
    session.rollback()
    session.close()
    with app.sessions.begin() as session:
        audit.append(session, now, "tester", "kept.two", "thing", "3")
    with app.sessions() as session:
        actions = session.execute(
            select(models.AuditEntry.action).order_by(models.AuditEntry.id)
        ).scalars()
        assert list(actions) == ["kept.one", "kept.two"]
        assert audit.verify_chain(session) == audit.ChainReport(2, None, None)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_audit_chain_verifies_after_many_parallel_writers(app: App, settings: Settings) -> None:
    writers, transactions, entries = 8, 25, 3
    # Each writer its own process-like App: its own engine and pool on the same database.
    apps = [bootstrap(settings, app.deps.clock) for _ in range(writers)]
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(index: int) -> None:
        wired = apps[index]
        barrier.wait()
        try:
            for t in range(transactions):
                with wired.sessions.begin() as session:
                    for e in range(entries):
                        audit.append(
                            session,
                            wired.deps.clock.now(),
                            f"w{index}",
                            "test.write",
                            "t",
                            f"{t}.{e}",
                        )
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for wired in apps:
        wired.engine.dispose()
    assert not errors, errors
    with app.sessions() as session:
        report = audit.verify_chain(session)
        by_writer = dict(
            session.execute(
                select(models.AuditEntry.actor, func.count()).group_by(models.AuditEntry.actor)
            ).all()
        )
    assert report == audit.ChainReport(writers * transactions * entries, None, None)
    assert by_writer == {f"w{i}": transactions * entries for i in range(writers)}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_serve_hands_uvicorn_a_factory_so_each_worker_process_builds_its_own_app(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from lineclose.cli.main import app as cli
    from lineclose.web.app import app_from_environment
    from tests.conftest import TEST_KEYS

    monkeypatch.setenv("LINECLOSE_DATABASE_URL", database_url)
    monkeypatch.setenv("LINECLOSE_DATA_KEYS", TEST_KEYS)
    monkeypatch.setenv("LINECLOSE_API_THREADS", "12")
    one, two = app_from_environment(), app_from_environment()
    assert one.state.lineclose.engine is not two.state.lineclose.engine
    assert one.state.lineclose.engine.pool.size() >= 12
    with TestClient(one) as client:
        assert client.get("/healthz").json()["status"] == "ok"
    one.state.lineclose.engine.dispose()
    two.state.lineclose.engine.dispose()
    help_text = CliRunner().invoke(cli, ["serve", "--help"], env={"COLUMNS": "200"}).output
    assert "--workers" in help_text
