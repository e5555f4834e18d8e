"""The CLI reads through the same functions as the API: a request's status says `overdue` on the
operator's own day, and dead letters are listed per operator."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from lineclose.bootstrap import App
from lineclose.cli.main import app as cli
from lineclose.db import models
from lineclose.ports.clock import FrozenClock
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.reads.requests import request_by_reference
from tests.factories import make_line, make_operator
from tests.integration.test_cli import env_for
from tests.pages.conftest import given_up_step, submitted_in_store

runner = CliRunner()
ADMIN = Actor(Role.ADMIN, "cli", Channel.SYSTEM)


def _request_due(app: App, client: TestClient, due_days_ago: int) -> tuple[str, str]:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn")
        line = make_line(session, app.deps, operator)
        msisdn, code = line.msisdn, operator.code
    reference = submitted_in_store(client, app, msisdn)
    with app.sessions.begin() as session:
        row = session.execute(
            select(models.ClosureRequest).where(models.ClosureRequest.reference == reference)
        ).scalar_one()
        assert row.status == "under_review"
        row.review_due_on = app.deps.clock.now().date() - timedelta(days=due_days_ago)
    return reference, code


def test_overdue_is_counted_on_the_operators_day_not_utcs(
    app: App, client: TestClient, clock: FrozenClock
) -> None:
    reference, _ = _request_due(app, client, due_days_ago=0)
    # 16:30 UTC is already tomorrow in Shanghai: a review due "today" in UTC is late there.
    clock.advance(datetime(2026, 11, 25, 16, 30, tzinfo=clock.now().tzinfo) - clock.now())
    with app.sessions() as session:
        assert request_by_reference(session, app.deps, ADMIN, reference).overdue
    clock.advance(timedelta(hours=-8))  # 08:30 UTC, 16:30 in Shanghai: due today, not late
    with app.sessions() as session:
        assert not request_by_reference(session, app.deps, ADMIN, reference).overdue


def test_status_command_shows_the_read_layers_view_with_overdue(
    app: App, client: TestClient, database_url: str
) -> None:
    # The CLI runs on the real clock: a review due a year ago is late on any day.
    reference, _ = _request_due(app, client, due_days_ago=400)
    result = runner.invoke(cli, ["status", reference], env=env_for(database_url))
    assert result.exit_code == 0, result.output
    assert reference in result.output and "under_review overdue" in result.output
    unknown = runner.invoke(cli, ["status", "LC-2026-ZZZZZZ"], env=env_for(database_url))
    assert unknown.exit_code == 2 and "unknown_request" in unknown.output


def test_outbox_list_names_an_operator_to_see_only_its_steps(
    app: App, client: TestClient, database_url: str
) -> None:
    mine, code = _request_due(app, client, due_days_ago=0)
    theirs, _ = _request_due(app, client, due_days_ago=0)
    own_step = given_up_step(app, mine, "uncertain", "notify_sms")
    other_step = given_up_step(app, theirs, "uncertain", "notify_sms")
    env = env_for(database_url)
    everything = runner.invoke(cli, ["outbox", "list", "--status", "uncertain"], env=env)
    assert everything.exit_code == 0, everything.output
    listed = [line.split()[1] for line in everything.output.splitlines() if "notify_sms" in line]
    assert listed == [str(own_step), str(other_step)]
    bound = runner.invoke(
        cli, ["outbox", "list", "--status", "uncertain", "--operator", code], env=env
    )
    assert bound.exit_code == 0, bound.output
    listed = [line.split()[1] for line in bound.output.splitlines() if "notify_sms" in line]
    assert listed == [str(own_step)]
    refused = runner.invoke(cli, ["outbox", "retry", str(other_step), "--operator", code], env=env)
    assert refused.exit_code == 2 and "unknown_step" in refused.output
