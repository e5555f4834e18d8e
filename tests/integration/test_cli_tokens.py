"""`lineclose token create --expires-in`, `token list` (masked, with last use) and `token revoke`."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from lineclose.bootstrap import App
from lineclose.cli.main import app as cli
from lineclose.db import models
from tests.integration.test_cli import env_for

runner = CliRunner()


def test_tokens_are_created_with_an_expiry_listed_masked_and_revoked(
    app: App, client: TestClient, database_url: str
) -> None:
    env = env_for(database_url)
    created = runner.invoke(
        cli,
        ["token", "create", "--name", "night-shift", "--role", "reviewer", "--expires-in", "30d"],
        env=env,
    )
    assert created.exit_code == 0, created.output
    token = created.output.strip().splitlines()[-1]
    default = runner.invoke(cli, ["token", "create", "--name", "day", "--role", "agent"], env=env)
    assert default.exit_code == 0, default.output
    with app.sessions() as session:
        rows = {t.name: t for t in session.execute(select(models.ApiToken)).scalars()}
    assert rows["night-shift"].expires_at - rows["night-shift"].created_at == timedelta(days=30)
    assert rows["day"].expires_at - rows["day"].created_at == timedelta(days=90)

    assert (
        client.get(
            "/api/v1/closure-requests", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 200
    )
    listed = runner.invoke(cli, ["token", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    assert "night-shift" in listed.output and token[:8] in listed.output
    assert token not in listed.output and token[8:16] not in listed.output
    assert "not yet" in listed.output  # the token made by default was never used

    revoked = runner.invoke(cli, ["token", "revoke", str(rows["night-shift"].id)], env=env)
    assert revoked.exit_code == 0, revoked.output
    assert (
        client.get(
            "/api/v1/closure-requests", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 401
    )
    listed_after = runner.invoke(cli, ["token", "list"], env=env).output
    rows_shown = [line for line in listed_after.splitlines() if line.startswith("│")]
    assert rows_shown and not any("night-shift" in line for line in rows_shown)
    assert "revoked" in runner.invoke(cli, ["token", "list", "--all"], env=env).output

    bad = runner.invoke(
        cli, ["token", "create", "--name", "x", "--role", "agent", "--expires-in", "soon"], env=env
    )
    assert bad.exit_code == 2 and "90d" in bad.output
    unknown = runner.invoke(cli, ["token", "revoke", "9999"], env=env)
    assert unknown.exit_code == 2 and "unknown_token" in unknown.output
