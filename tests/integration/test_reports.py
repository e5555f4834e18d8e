"""The US Reassigned Numbers Database file and staff reports."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.errors import InvalidInput
from lineclose.services.reports.disconnections import (
    disconnection_report,
    period_for,
    render_plain,
    render_rnd,
)
from lineclose.services.reports.staff import staff_report
from tests.factories import make_line, make_operator
from tests.support.payouts import ADMIN, SQLITE_ONLY, closed_with_refund


def _disconnect(app: App, operator: models.Operator, session: object, day: date) -> str:
    line = make_line(session, app.deps, operator, service_password=None)  # type: ignore[arg-type]
    session.add(models.Disconnection(msisdn=line.msisdn, disconnected_on=day))  # type: ignore[attr-defined]
    return line.msisdn


def test_the_file_due_on_the_15th_covers_through_the_10th_and_the_11th_waits_a_month(
    app: App,
) -> None:
    assert period_for(date(2026, 11, 15)) == (date(2026, 10, 11), date(2026, 11, 10))
    assert period_for(date(2026, 1, 15)) == (date(2025, 12, 11), date(2026, 1, 10))
    with pytest.raises(InvalidInput):
        period_for(date(2026, 11, 14))
    with app.sessions.begin() as session:
        us = make_operator(session, app.deps, "us", code="op-us-rnd")
        on_10th = _disconnect(app, us, session, date(2026, 11, 10))
        on_11th = _disconnect(app, us, session, date(2026, 11, 11))
        session.add(models.Disconnection(msisdn=on_10th, disconnected_on=date(2026, 10, 20)))
    with app.sessions() as session:
        november = disconnection_report(session, ADMIN, "op-us-rnd", date(2026, 11, 15))
        december = disconnection_report(session, ADMIN, "op-us-rnd", date(2026, 12, 15))
        january = disconnection_report(session, ADMIN, "op-us-rnd", date(2027, 1, 15))
    assert november.rows == ((on_10th, date(2026, 11, 10)),)  # its latest date, once
    assert december.rows == ((on_11th, date(2026, 11, 11)),)
    rnd = list(csv.reader(io.StringIO(render_rnd(november))))
    assert rnd == [["TN", "DISCONNECT_DATE"], [on_10th[2:], "2026-11-10"]]
    assert render_rnd(january) == "NO DISCONNECTS\n"
    assert render_plain(december).splitlines()[1] == f"{on_11th},2026-11-11,op-us-rnd"


@SQLITE_ONLY
def test_the_cli_writes_the_file_and_staff_reports(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lineclose.cli.main import app as cli

    with app.sessions.begin() as session:
        us = make_operator(session, app.deps, "us", code="op-us-cli")
        msisdn = _disconnect(app, us, session, date(2026, 11, 11))
        closed_with_refund(session, app.deps, us, account="12345678", amount_minor=700)
    monkeypatch.setenv("LINECLOSE_DATABASE_URL", app.settings.database_url)
    assert app.settings.data_keys is not None
    monkeypatch.setenv("LINECLOSE_DATA_KEYS", app.settings.data_keys.get_secret_value())
    runner = CliRunner()
    out = tmp_path / "rnd.csv"
    done = runner.invoke(
        cli,
        [
            "report",
            "disconnections",
            "--operator",
            "op-us-cli",
            "--due",
            "2026-12-15",
            "--out",
            str(out),
        ],
    )
    assert done.exit_code == 0, done.output
    assert out.read_text().splitlines()[1] == f"{msisdn[2:]},2026-11-11"
    bad = runner.invoke(
        cli, ["report", "disconnections", "--operator", "op-us-cli", "--due", "2026-12-14"]
    )
    assert bad.exit_code == 2 and "15th" in bad.output
    refunds = runner.invoke(cli, ["report", "staff", "refunds"])
    assert refunds.exit_code == 0, refunds.output
    (row,) = [r for r in csv.reader(io.StringIO(refunds.output)) if r[:2] == ["instructed", "USD"]]
    assert row[3:] == ["1", "700"]  # the age bucket follows the wall clock the CLI runs on
    with app.sessions() as session:
        header, rows = staff_report(session, ADMIN, "closures", app.deps.clock.now())
    assert header == ["channel", "status", "count"] and ["online", "closed", 1] in rows
