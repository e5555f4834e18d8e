"""A line under an open closure request is not changed silently: an import that changes its
facts re-runs the request's precheck and staff see on the request what changed and why."""

from __future__ import annotations

import csv
from pathlib import Path

from fastapi.testclient import TestClient

from lineclose.bootstrap import App
from lineclose.cli.import_files import run_import
from lineclose.services.context import Role
from lineclose.services.identity import open_console_session
from lineclose.web.pages.common import STAFF_COOKIE
from tests.api.helpers import staff
from tests.factories import make_line, make_operator


def test_an_import_that_adds_an_unpaid_bill_reevaluates_the_open_request(
    app: App, client: TestClient, tmp_path: Path
) -> None:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn", code="acme-cn")
        msisdn = make_line(session, app.deps, operator, payment="postpaid").msisdn
    agent = staff(app, Role.AGENT)
    submitted = client.post(
        "/api/v1/closure-requests",
        json={
            "msisdn": msisdn,
            "channel": "store",
            "alternate_contact": "someone@example.org",
            "identity": [{"method": "id_document_seen"}],
        },
        headers=agent,
    )
    assert submitted.status_code == 201, submitted.text
    reference = submitted.json()["reference"]
    assert submitted.json()["status"] == "under_review"

    bills = tmp_path / "bills.csv"
    with bills.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "bill_id",
                "msisdn",
                "period_start",
                "period_end",
                "amount_minor",
                "currency",
                "due_on",
            ]
        )
        writer.writerow(["B-77", msisdn, "2026-10-01", "2026-10-31", "6600", "CNY", "2026-11-10"])
    summary = run_import(app, "acme-cn", [bills], tmp_path / "rejects.csv")
    assert summary.inserted == 1
    assert summary.reevaluated == [reference]

    shown = client.get(f"/api/v1/closure-requests/{reference}", headers=agent).json()
    assert shown["status"] == "under_review"  # a reviewer decides; the precheck says why
    assert [b["code"] for b in shown["blockers"]] == ["ARREARS"]

    supervisor = staff(app, Role.SUPERVISOR)["Authorization"].removeprefix("Bearer ")
    with app.sessions.begin() as session:
        console_id, _ = open_console_session(session, app.deps, supervisor)
    client.cookies.set(STAFF_COOKIE, console_id)
    page = client.get(f"/console/requests/{reference}")
    assert page.status_code == 200
    assert "request.facts_updated" in page.text
    assert "blockers_now: [&#39;ARREARS&#39;]" in page.text
    assert "changed: [&#39;bills&#39;]" in page.text

    # The same file again changes nothing and re-checks nothing.
    again = run_import(app, "acme-cn", [bills], tmp_path / "rejects.csv")
    assert (again.unchanged, again.reevaluated) == (1, [])
