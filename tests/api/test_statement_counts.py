"""How many SQL statements a precheck and a submit send over HTTP, so a regression shows.

The line is read with its operator and holder in one statement and its facts and calendar in
one more; a new request's answer is built from what the submission recorded, with no read
after the commit. Transaction control (BEGIN, COMMIT) is not counted, nor SQLite's
`PRAGMA query_only` switch when a pooled connection goes from reading to writing (no I/O).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from lineclose.bootstrap import App
from lineclose.services.context import Role
from lineclose.services.identity import token_cache
from tests.api.helpers import staff
from tests.factories import make_line, make_operator

# line (+ operator + holder), facts (+ calendar); the staff token was read a moment ago
PRECHECK_STATEMENTS = 2
# line, facts (+ calendar + the request made with the Idempotency-Key); the request in its
# final state (one INSERT .. ON CONFLICT DO NOTHING, no savepoint, no UPDATE after); its two
# events (one INSERT .. RETURNING) and its notice (one INSERT); at commit the audit chain
# (last hash, entry; PostgreSQL takes its lock first) and the webhook receivers (read once for
# every event)
SUBMIT_STATEMENTS = {"sqlite": 8, "postgresql": 9}


@contextmanager
def counted(app: App) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statement = str(args[2])
        if not statement.upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA QUERY_ONLY")):
            statements.append(statement)

    event.listen(app.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(app.engine, "before_cursor_execute", count)


def lines_with_facts(app: App) -> list[str]:
    today = app.deps.clock.now().date()
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn")
        made = [
            make_line(
                session,
                app.deps,
                operator,
                paid_credit_minor=2_000,
                unpaid_bills=[(8_800, today - timedelta(days=5))],
                bindings=[{"service": "Alipay", "category": "payment"}],
            ),
            make_line(session, app.deps, operator, paid_credit_minor=2_000),
            make_line(session, app.deps, operator),
        ]
        return [line.msisdn for line in made]


def submission(msisdn: str) -> dict[str, Any]:
    return {
        "msisdn": msisdn,
        "channel": "store",
        "alternate_contact": "a@example.org",
        "refund_account": "6222020200112233445",
        "identity": [{"method": "id_document_seen"}],
    }


def test_a_precheck_and_a_submit_send_a_bounded_number_of_statements(
    app: App, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The token is remembered for a few seconds of wall time: long enough for this test.
    monkeypatch.setattr(token_cache, "CACHE_SECONDS", 3600.0)
    agent = staff(app, Role.AGENT)
    blocked, clean, warm = lines_with_facts(app)
    dialect = app.engine.dialect.name
    # The token's first use reads it and records the use (once a minute): not part of the pair.
    assert client.post("/api/v1/precheck", json={"msisdn": warm}, headers=agent).is_success

    for msisdn, status in ((blocked, "needs_action"), (clean, "under_review")):
        with counted(app) as precheck:
            checked = client.post("/api/v1/precheck", json={"msisdn": msisdn}, headers=agent)
        assert checked.status_code == 200, checked.text
        assert len(precheck) <= PRECHECK_STATEMENTS, precheck

        with counted(app) as submit:
            made = client.post(
                "/api/v1/closure-requests",
                json=submission(msisdn),
                headers={**agent, "Idempotency-Key": f"count-{msisdn}"},
            )
        assert made.status_code == 201, made.text
        assert made.json()["status"] == status
        assert len(submit) <= SUBMIT_STATEMENTS[dialect], submit
        # The answer built from what was recorded is the one a later read gives.
        shown = client.get(made.headers["location"], headers=agent)
        assert shown.status_code == 200
        assert shown.json() == made.json()
