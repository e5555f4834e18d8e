"""Page tests drive the portal and the console through TestClient and read the typed page model
each template got (`response.context["page"]`), not the HTML.

They run on SQLite only: what they check is what the pages decide and show; the reads they call
run on both backends in tests/api and tests/security."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.services.context import Role, Scope
from lineclose.services.identity import create_staff_token, open_console_session
from tests.factories import make_line, make_operator


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "lineclose.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@dataclass
class Lines:
    """A holder with an unpaid bill and a bound payment app, a line in contract, a line of
    another operator and a clean line."""

    operator_id: int
    other_operator_id: int
    billed: str
    billed_id: int
    bill_id: int
    binding_id: int
    contracted: str
    contracted_id: int
    commitment_end: date
    elsewhere: str
    elsewhere_id: int
    clean: str
    clean_id: int


@pytest.fixture
def lines(app: App) -> Lines:
    today = app.deps.clock.now().date()
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn")
        other = make_operator(session, app.deps, "cn")
        billed = make_line(
            session,
            app.deps,
            operator,
            unpaid_bills=[(500, today - timedelta(days=3))],
            bindings=[{"service": "Alipay", "category": "payment"}],
        )
        end = today + timedelta(days=60)
        # Only the billed line's holder needs a service password: hashing one is slow on purpose.
        contracted = make_line(
            session,
            app.deps,
            operator,
            service_password=None,
            payment="postpaid",
            contract={"commitment_end": end, "etf_rule": "fixed", "etf_fixed_minor": 3_000},
        )
        elsewhere = make_line(session, app.deps, other, service_password=None)
        clean = make_line(session, app.deps, operator, service_password=None)
        bill_id = session.query(models.Bill.id).filter_by(line_id=billed.id).scalar()
        binding_id = session.query(models.Binding.id).filter_by(line_id=billed.id).scalar()
        return Lines(
            operator.id,
            other.id,
            billed.msisdn,
            billed.id,
            bill_id,
            binding_id,
            contracted.msisdn,
            contracted.id,
            end,
            elsewhere.msisdn,
            elsewhere.id,
            clean.msisdn,
            clean.id,
        )


def new_client(app: App) -> TestClient:
    from lineclose.web.app import create_app

    return TestClient(create_app(app), follow_redirects=False, headers={"Accept-Language": "en"})


def csrf_of(client: TestClient, path: str) -> str:
    """The CSRF token a page's forms carry, as the signed-in browser would post it."""
    shown = client.get(path)
    assert shown.status_code == 200, (path, shown.status_code)
    token: str = shown.context["csrf"]  # type: ignore[attr-defined]
    return token


def page_of(response: object) -> object:
    return response.context["page"]  # type: ignore[attr-defined]


def staff_token(
    app: App, role: Role, operator_id: int | None = None, scopes: frozenset[Scope] = frozenset()
) -> str:
    with app.sessions.begin() as session:
        return create_staff_token(
            session,
            app.deps.clock.now(),
            f"{role.value}-{operator_id or 'all'}-{len(scopes)}",
            role,
            operator_id=operator_id,
            scopes=scopes,
        )


def console_client(app: App, token: str) -> TestClient:
    """A browser signed in to the console with this staff token (it holds the session id)."""
    with app.sessions.begin() as session:
        console_id, _ = open_console_session(session, app.deps, token)
    client = new_client(app)
    client.cookies.set("lc_staff", console_id)
    return client


def given_up_step(app: App, request_reference: str | None, status: str, step: str) -> int:
    """An outbox step the worker gave up on (`dead`) or left `uncertain`."""
    with app.sessions.begin() as session:
        request_id = None
        if request_reference is not None:
            request_id = (
                session.query(models.ClosureRequest.id)
                .filter_by(reference=request_reference)
                .scalar()
            )
        row = models.OutboxRow(
            request_id=request_id,
            step=step,
            idempotency_key=f"{request_reference}:{step}:{status}",
            payload={},
            status=status,
            attempts=3,
            available_at=app.deps.clock.now(),
            last_error="gateway said no",
            created_at=app.deps.clock.now(),
        )
        session.add(row)
        session.flush()
        return row.id


def submitted_in_store(client: TestClient, app: App, msisdn: str) -> str:
    """A closure an agent files in a store after seeing the holder's ID document."""
    agent = {"Authorization": f"Bearer {staff_token(app, Role.AGENT)}"}
    answer = client.post(
        "/api/v1/closure-requests",
        json={
            "msisdn": msisdn,
            "channel": "store",
            "identity": [{"method": "id_document_seen"}],
            "alternate_contact": "me@example.org",
        },
        headers=agent,
    )
    assert answer.status_code == 201, answer.text
    reference: str = answer.json()["reference"]
    return reference
