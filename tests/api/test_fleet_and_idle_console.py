"""Console pages: a fleet batch is one queue item, decided from its page with a CSRF-checked
form (ticked rows or the whole batch); idle lines are listed with the money at stake."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient

from lineclose.bootstrap import App
from lineclose.domain.identifiers import mask_msisdn
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.fleet import batches
from lineclose.services.fleet.rows import parse_rows
from lineclose.services.identity import create_staff_token, open_console_session
from tests.factories import make_line, make_operator

LOADER = Actor(Role.AGENT, "loader", Channel.BULK)
# Pages over the same reads the API tests run on both databases.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _sign_in(app: App, client: TestClient, role: Role) -> None:
    with app.sessions.begin() as session:
        token = create_staff_token(session, app.deps.clock.now(), f"{role.value}-page", role)
        console_id, _ = open_console_session(session, app.deps, token)
    client.cookies.set("lc_staff", console_id)


def test_a_reviewer_approves_ticked_rows_of_a_fleet_batch_from_its_page(
    app: App, client: TestClient
) -> None:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn")
        cards = [make_line(session, app.deps, operator, kind="data-only") for _ in range(2)]
        reference = batches.load(
            session,
            app.deps,
            LOADER,
            operator.code,
            parse_rows(["card\n", *(f"{c.msisdn}\n" for c in cards)], "CN"),
            batches.FleetAuthorisation("it@acme.example", "ACME order 9"),
        ).batch.reference
    _sign_in(app, client, Role.REVIEWER)

    queue = client.get("/console/fleet")
    assert queue.status_code == 200 and reference in queue.text
    page = client.get(f"/console/fleet/{reference}")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf and "ACME order 9" in page.text and "it@acme.example" not in page.text
    forged = client.post(
        f"/console/fleet/{reference}/decide",
        data={"decision": "approve", "csrf": "forged"},
        follow_redirects=False,
    )
    decided = client.post(
        f"/console/fleet/{reference}/decide",
        data={"decision": "approve_rows", "rows": ["2"], "csrf": csrf.group(1)},
        follow_redirects=False,
    )

    assert "error=csrf_failed" in forged.headers["location"]
    assert decided.status_code == 303 and "error" not in decided.headers["location"]
    after = client.get(f"/console/fleet/{reference}").text
    assert after.count('type="checkbox"') == 1  # row 3 still awaits a decision


def test_staff_see_idle_lines_in_the_console(app: App, client: TestClient) -> None:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn")
        line = make_line(session, app.deps, operator, payment="postpaid", monthly_fee_minor=12_800)
        line.last_usage_on = date(2026, 6, 28)  # type: ignore[assignment]
        masked = mask_msisdn(line.msisdn)
    _sign_in(app, client, Role.AGENT)

    page = client.get("/console/idle")

    assert page.status_code == 200
    assert masked in page.text
    assert "¥128.00" in page.text  # its monthly fee
    assert "¥512.00" in page.text  # four whole months paid while idle
