"""Review due dates follow the operator's declared days where the calendar library has no data."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from lineclose.bootstrap import App
from lineclose.ports.clock import FrozenClock
from lineclose.services.context import Role
from tests.api.helpers import staff
from tests.factories import make_line, make_operator


def test_a_year_without_official_data_warns_and_follows_the_operators_declared_days(
    app: App, client: TestClient, clock: FrozenClock
) -> None:
    clock.set(datetime(2027, 2, 3, 1, 0, tzinfo=UTC))  # Wednesday morning in Shanghai
    with app.sessions.begin() as session:
        msisdn = make_line(session, app.deps, make_operator(session, app.deps, "cn")).msisdn
    admin = staff(app, Role.ADMIN)

    before = client.post("/api/v1/precheck", json={"msisdn": msisdn}, headers=admin).json()
    assert "CALENDAR_FALLBACK" in [w["code"] for w in before["warnings"]]
    assert any("2027" in w["message"] for w in before["warnings"])
    # Public holidays only: Thursday 4th counts, 5th to 10th are the Spring Festival.
    assert before["quote"]["review_due_on"] == "2027-02-11"

    declared = client.put(
        "/api/v1/calendars/cn",
        json={"days": [{"day": "2027-02-05", "working": True, "note": "adjusted working day"}]},
        headers=admin,
    )
    assert declared.status_code == 200, declared.text
    after = client.post("/api/v1/precheck", json={"msisdn": msisdn}, headers=admin).json()
    assert after["quote"]["review_due_on"] == "2027-02-05"


def test_only_admins_edit_the_calendar(app: App, client: TestClient) -> None:
    response = client.put(
        "/api/v1/calendars/CN",
        json={"days": [{"day": "2027-02-05", "working": True}]},
        headers=staff(app, Role.REVIEWER),
    )
    assert response.status_code == 403
    assert client.get("/api/v1/calendars/CN", headers=staff(app, Role.ADMIN)).json()["days"] == []
