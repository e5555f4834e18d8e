"""The operator's command line against a real database: tokens, precheck, status, calendars, fleets."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from lineclose.bootstrap import App
from lineclose.cli.main import app as cli
from lineclose.db import models
from lineclose.services.seed import seed_demo
from tests.conftest import TEST_KEYS

runner = CliRunner()


def env_for(database_url: str) -> dict[str, str]:
    return {"LINECLOSE_DATABASE_URL": database_url, "LINECLOSE_DATA_KEYS": TEST_KEYS}


def test_an_integration_token_is_created_with_its_scopes_and_operator(
    app: App, database_url: str
) -> None:
    with app.sessions.begin() as session:
        seed_demo(session, app.deps)
    result = runner.invoke(
        cli,
        [
            "token",
            "create",
            "--name",
            "crm",
            "--role",
            "integration",
            "--scope",
            "precheck",
            "--operator",
            "demo-cn",
        ],
        env=env_for(database_url),
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1].startswith("lcs_")
    with app.sessions() as session:
        token = session.execute(
            select(models.ApiToken).where(models.ApiToken.name == "crm")
        ).scalar_one()
        assert token.role == "integration" and token.scopes == ["precheck"]
        assert token.operator_id is not None
    unknown = runner.invoke(
        cli,
        ["token", "create", "--name", "x", "--role", "agent", "--operator", "nope"],
        env=env_for(database_url),
    )
    assert unknown.exit_code == 2 and "unknown_operator" in unknown.output


def test_the_precheck_command_lists_blockers_with_their_remedies(
    app: App, database_url: str
) -> None:
    with app.sessions.begin() as session:
        seed_demo(session, app.deps)
    result = runner.invoke(cli, ["precheck", "+8613800138002"], env=env_for(database_url))
    assert result.exit_code == 0, result.output
    assert "ARREARS" in result.output and "PAY_ARREARS 8800" in result.output
    bad = runner.invoke(cli, ["precheck", "12345"], env=env_for(database_url))
    assert bad.exit_code == 2 and "invalid_msisdn" in bad.output


def test_an_official_schedule_is_loaded_from_a_file(
    app: App, database_url: str, tmp_path: Path
) -> None:
    schedule = tmp_path / "cn-2027.csv"
    schedule.write_text(
        "date,kind,note\n2027-02-05,working,adjusted\n2027-02-11,off,Spring Festival\n"
    )
    loaded = runner.invoke(
        cli, ["calendar", "load", "--country", "CN", str(schedule)], env=env_for(database_url)
    )
    assert loaded.exit_code == 0, loaded.output
    shown = runner.invoke(
        cli, ["calendar", "show", "--country", "cn", "--year", "2027"], env=env_for(database_url)
    )
    assert "2027-02-05" in shown.output and "2027-02-11" in shown.output
    broken = tmp_path / "broken.csv"
    broken.write_text("2027-02-30,off\n")
    refused = runner.invoke(
        cli, ["calendar", "load", "--country", "CN", str(broken)], env=env_for(database_url)
    )
    assert refused.exit_code == 2 and "YYYY-MM-DD" in refused.output
    with app.sessions() as session:
        assert len(session.execute(select(models.CalendarOverride)).all()) == 2


def test_bulk_close_needs_the_holders_authorisation_confirmed(app: App, database_url: str) -> None:
    with app.sessions.begin() as session:
        seed_demo(session, app.deps)
    args = [
        "bulk",
        "close",
        "--operator",
        "demo-cn",
        "--fleet",
        "ACME-IOT",
        "--alternate-contact",
        "it@acme.example",
    ]
    refused = runner.invoke(cli, args, env=env_for(database_url))
    assert refused.exit_code == 2 and "holder_not_verified" in refused.output
    done = runner.invoke(cli, [*args, "--holder-verified"], env=env_for(database_url))
    assert done.exit_code == 0, done.output
    with app.sessions() as session:
        assert len(session.execute(select(models.ClosureRequest)).all()) == 10
