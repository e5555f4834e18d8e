"""`lineclose operator` and `lineclose import` from the command line, against a real database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from lineclose.bootstrap import App
from lineclose.cli.main import app as cli
from lineclose.db import models
from tests.conftest import TEST_KEYS
from tests.support.data_in import read_rejects, sample_files

runner = CliRunner()


def test_an_operator_is_created_set_and_its_uk_sample_files_imported(
    app: App, database_url: str, tmp_path: Path
) -> None:
    env = {
        "LINECLOSE_DATABASE_URL": database_url,
        "LINECLOSE_DATA_KEYS": TEST_KEYS,
        "LINECLOSE_HLR_BACKEND": "fake",
        "COLUMNS": "200",
    }
    created = runner.invoke(
        cli, ["operator", "create", "acme-uk", "--name", "Acme UK", "--profile", "uk"], env=env
    )
    assert created.exit_code == 0, created.output
    refused = runner.invoke(cli, ["operator", "set", "acme-uk", "review_working_days=0"], env=env)
    assert refused.exit_code == 2
    assert "setting_out_of_range" in refused.output and '"minimum": 1' in refused.output
    accepted = runner.invoke(
        cli,
        ["operator", "set", "acme-uk", "review_working_days=4", "auto_approval.enabled=true"],
        env=env,
    )
    assert accepted.exit_code == 0, accepted.output
    shown = runner.invoke(cli, ["operator", "show", "acme-uk"], env=env)
    assert "operator override" in shown.output and "codes within 2 working days" in shown.output

    rejects = tmp_path / "rejects.csv"
    args = ["import", "--operator", "acme-uk", "--rejects", str(rejects), "--workers", "1"]
    imported = runner.invoke(cli, [*args, *map(str, sample_files("uk"))], env=env)
    assert imported.exit_code == 0, imported.output
    assert "540" in imported.output and "rows/s" in imported.output
    assert [r["row"] for r in read_rejects(rejects)] == ["102", "103", "181"]
    with app.sessions() as session:
        lines = session.execute(select(func.count()).select_from(models.Line)).scalar_one()
        assert lines == 100
    unknown = runner.invoke(cli, ["import", "--operator", "nope", str(rejects)], env=env)
    assert unknown.exit_code == 2 and "unknown_operator" in unknown.output
