"""`lineclose bulk close --file` and the fleet-batch API against a real database: a file in,
a batch in the review queue, approval, a second run that submits, and the result files."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from lineclose.bootstrap import App
from lineclose.cli.main import app as cli
from lineclose.services.context import Role
from tests.api.helpers import staff
from tests.conftest import TEST_KEYS
from tests.factories import make_line, make_operator

runner = CliRunner()
# The service rules run on both databases in test_fleet_batches; these drive the edges.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _fleet(app: App) -> tuple[str, list[tuple[str, str]]]:
    """An operator with three clean data cards and one with an unpaid bill."""
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn", code="acme-op")
        cards = [
            make_line(session, app.deps, operator, kind="data-only", fleet_account="ACME")
            for _ in range(3)
        ]
        cards.append(
            make_line(
                session, app.deps, operator, kind="data-only", payment="postpaid",
                unpaid_bills=[(1_500, date(2026, 11, 1))],
            )
        )  # fmt: skip
        return operator.code, [(c.msisdn, c.iccid) for c in cards]


def _env(database_url: str) -> dict[str, str]:
    return {"LINECLOSE_DATABASE_URL": database_url, "LINECLOSE_DATA_KEYS": TEST_KEYS}


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open(encoding="utf-8")))


def test_a_file_closes_as_one_batch_after_review_and_a_second_run_resumes(
    app: App, client: TestClient, database_url: str, tmp_path: Path
) -> None:
    operator, fleet = _fleet(app)
    cards = tmp_path / "cards.csv"
    national = fleet[1][0].removeprefix("+86")
    cards.write_text(
        f"card,requested_date\n{fleet[0][0]},\n{national},\n{fleet[2][1]},\nnot-a-card,\n",
        encoding="utf-8",
    )
    command = [
        "bulk", "close", "--operator", operator, "--file", str(cards),
        "--authorised-contact", "it@acme.example",
        "--authorising-document", "ACME IoT decommissioning order 2026-11",
    ]  # fmt: skip

    first = runner.invoke(cli, command, env=_env(database_url))

    assert first.exit_code == 0, first.output
    assert "waiting for review" in first.output
    assert _rows(tmp_path / "cards.rejects.csv") == [
        {
            "row": "5",
            "field": "card",
            "message": _rows(tmp_path / "cards.rejects.csv")[0]["message"],
        }
    ]
    assert [r["state"] for r in _rows(tmp_path / "cards.results.csv")] == ["clean"] * 3
    queue = client.get("/api/v1/fleet-batches", headers=staff(app, Role.REVIEWER)).json()
    (item,) = queue["batches"]
    assert item["summary"]["lines"] == 3 and item["authorised_contact"] != "it@acme.example"
    approved = client.post(
        f"/api/v1/fleet-batches/{item['reference']}/approve",
        json={},
        headers=staff(app, Role.REVIEWER),
    )
    assert approved.json()["approved"] == 3, approved.text

    second = runner.invoke(cli, command, env=_env(database_url))

    assert second.exit_code == 0, second.output
    assert item["reference"] in second.output and "resumed" in second.output
    results = _rows(tmp_path / "cards.results.csv")
    assert all(r["reference"].startswith("LC-") for r in results)
    assert {r["state"] for r in results} <= {"approved", "executing", "closed"}
    out = tmp_path / "again.csv"
    on_demand = runner.invoke(
        cli, ["fleet", "result", item["reference"], "--out", str(out)], env=_env(database_url)
    )
    assert on_demand.exit_code == 0, on_demand.output
    assert [r["reference"] for r in _rows(out)] == [r["reference"] for r in results]


def test_the_api_takes_an_upload_and_reviewers_decide_line_by_line(
    app: App, client: TestClient
) -> None:
    operator, fleet = _fleet(app)
    agent = staff(app, Role.AGENT)
    form = {
        "operator": operator,
        "authorised_contact": "it@acme.example",
        "authorising_document": "ACME order 7",
    }
    body = f"msisdn\n{fleet[0][0]}\n{fleet[1][0]}\n{fleet[3][0]}\n"

    refused = client.post(
        "/api/v1/fleet-batches",
        data={**form, "authorised_contact": "nobody"},
        files={"file": ("cards.csv", body, "text/csv")},
        headers=agent,
    )
    uploaded = client.post(
        "/api/v1/fleet-batches",
        data=form,
        files={"file": ("cards.csv", body, "text/csv")},
        headers=agent,
    )

    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid_authorised_contact"
    assert uploaded.status_code == 201, uploaded.text
    batch = uploaded.json()
    assert batch["summary"]["blockers"] == {"ARREARS": 1}
    reference = batch["reference"]
    reviewer = staff(app, Role.REVIEWER)
    assert (
        client.post(
            f"/api/v1/fleet-batches/{reference}/approve", json={}, headers=agent
        ).status_code
        == 403
    )
    blocked = client.post(
        f"/api/v1/fleet-batches/{reference}/approve", json={"rows": [4]}, headers=reviewer
    )
    assert blocked.status_code == 409 and blocked.json()["code"] == "blockers_present"
    assert client.post(
        f"/api/v1/fleet-batches/{reference}/reject", json={"rows": [3]}, headers=reviewer
    ).json() == {"reference": reference, "approved": 0, "rejected": 1}
    detail = client.get(f"/api/v1/fleet-batches/{reference}", headers=reviewer).json()
    assert [(line["row"], line["state"]) for line in detail["lines"]] == [
        (2, "clean"),
        (3, "rejected"),
        (4, "blocked"),
    ]
    result = client.get(f"/api/v1/fleet-batches/{reference}/result.csv", headers=reviewer)
    assert result.headers["content-type"].startswith("text/csv")
    assert result.text.splitlines()[0] == "row,msisdn,iccid,reference,state,blockers,refund_minor"
