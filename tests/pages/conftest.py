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
from tests.factories import make_line, make_operator


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "lineclose.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@dataclass
class Lines:
    """A holder with an unpaid bill and a bound payment app, a line in contract, and a line of
    another operator."""

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
        contracted = make_line(
            session,
            app.deps,
            operator,
            payment="postpaid",
            contract={"commitment_end": end, "etf_rule": "fixed", "etf_fixed_minor": 3_000},
        )
        elsewhere = make_line(session, app.deps, other)
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
