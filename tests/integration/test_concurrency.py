"""Races between API processes on PostgreSQL: two reviewers deciding one request, and two
submits carrying the same Idempotency-Key from two processes."""

from __future__ import annotations

import multiprocessing
import threading
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from lineclose.bootstrap import App, bootstrap
from lineclose.config import Settings
from lineclose.db import models
from lineclose.services.context import Role
from lineclose.web.app import create_app
from tests.api.helpers import staff
from tests.factories import make_line, make_operator

pytestmark = [pytest.mark.postgres]
postgres_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

SUBMISSION = {
    "msisdn": "",
    "channel": "store",
    "identity": [{"method": "id_document_seen"}],
    "refund_account": "6222020200112233445",
}


def _line(app: App) -> str:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn")
        msisdn = make_line(session, app.deps, operator, paid_credit_minor=2_000).msisdn
    return msisdn


def _under_review(app: App, client: TestClient, agent: dict[str, str]) -> str:
    body = {**SUBMISSION, "msisdn": _line(app)}
    submitted = client.post("/api/v1/closure-requests", json=body, headers=agent)
    assert submitted.status_code == 201, submitted.text
    assert submitted.json()["status"] == "under_review"
    reference: str = submitted.json()["reference"]
    return reference


def _at_once(*calls: Any) -> list[httpx.Response]:
    barrier = threading.Barrier(len(calls))
    results: list[httpx.Response | None] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


@postgres_only
def test_two_reviewers_deciding_one_request_at_once_one_wins_the_other_gets_a_conflict(
    app: App, settings: Settings
) -> None:
    agent = staff(app, Role.AGENT, "agent-race")
    approver = staff(app, Role.REVIEWER, "reviewer-a")
    rejecter = staff(app, Role.REVIEWER, "reviewer-b")
    second = bootstrap(settings, app.deps.clock)  # another API process on the same database
    try:
        with TestClient(create_app(app)) as one, TestClient(create_app(second)) as two:
            for _ in range(3):
                reference = _under_review(app, one, agent)
                url = f"/api/v1/closure-requests/{reference}"
                approved, rejected = _at_once(
                    lambda url=url: one.post(f"{url}/approve", json={}, headers=approver),
                    lambda url=url: two.post(
                        f"{url}/reject",
                        json={"reasons": [{"code": "ID_MISMATCH"}]},
                        headers=rejecter,
                    ),
                )
                statuses = sorted([approved.status_code, rejected.status_code])
                assert statuses == [200, 409], (approved.text, rejected.text)
                loser = approved if approved.status_code == 409 else rejected
                assert loser.headers["content-type"].startswith("application/problem+json")
                assert loser.json()["code"] in ("stale_request", "transition_not_allowed")
                final = one.get(url, headers=approver).json()["status"]
                assert final == ("approved" if approved.status_code == 200 else "rejected")
                with app.sessions() as session:
                    decisions = session.execute(
                        select(func.count()).where(
                            models.RequestEvent.command.in_(("approve", "reject")),
                            models.RequestEvent.request_id
                            == select(models.ClosureRequest.id)
                            .where(models.ClosureRequest.reference == reference)
                            .scalar_subquery(),
                        )
                    ).scalar_one()
                assert decisions == 1
    finally:
        second.engine.dispose()


def _submit_in_process(
    database_url: str,
    data_keys: str,
    headers: dict[str, str],
    body: dict[str, Any],
    barrier: Any,
    answers: Any,
) -> None:
    settings = Settings(
        database_url=database_url,
        data_keys=SecretStr(data_keys),
        hlr_backend="fake",
        sms_backend="fake",
        email_backend="fake",
    )
    app = bootstrap(settings)
    with TestClient(create_app(app)) as client:
        barrier.wait()
        response = client.post("/api/v1/closure-requests", json=body, headers=headers)
        answers.put((response.status_code, response.json().get("reference")))
    app.engine.dispose()


@postgres_only
def test_two_processes_submitting_with_one_idempotency_key_make_one_request(
    app: App, settings: Settings
) -> None:
    assert settings.data_keys is not None
    keys = settings.data_keys.get_secret_value()
    agent = staff(app, Role.AGENT, "agent-twice")
    body = {**SUBMISSION, "msisdn": _line(app)}
    headers = {**agent, "Idempotency-Key": "till-42-receipt-9"}
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    answers = context.Queue()
    processes = [
        context.Process(
            target=_submit_in_process,
            args=(settings.database_url, keys, headers, body, barrier, answers),
        )
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    got = sorted(answers.get(timeout=5) for _ in processes)

    assert [status for status, _ in got] == [200, 201]
    assert got[0][1] == got[1][1]
    with app.sessions() as session:
        assert session.execute(select(func.count(models.ClosureRequest.id))).scalar_one() == 1
