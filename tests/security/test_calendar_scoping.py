"""An admin bound to an operator reads and changes only the calendar of its own country."""

from __future__ import annotations

from fastapi.testclient import TestClient

from lineclose.bootstrap import App
from lineclose.services.context import Role
from tests.api.standards_support import token
from tests.factories import make_operator

DAY = {"days": [{"day": "2027-02-05", "working": True, "note": "adjusted working day"}]}


def test_an_operator_admin_cannot_read_or_change_another_countrys_calendar(
    app: App, client: TestClient
) -> None:
    with app.sessions.begin() as session:
        uk = make_operator(session, app.deps, "uk").id
        cn = make_operator(session, app.deps, "cn").id
    uk_admin = token(app, Role.ADMIN, uk)
    cn_admin = token(app, Role.ADMIN, cn)

    refused = client.put("/api/v1/calendars/cn", json=DAY, headers=uk_admin)
    assert refused.status_code == 403
    assert refused.json()["code"] == "other_operator"
    assert client.get("/api/v1/calendars/cn", headers=uk_admin).status_code == 403
    assert client.get("/api/v1/calendars/cn", headers=cn_admin).json()["days"] == []

    assert client.put("/api/v1/calendars/cn", json=DAY, headers=cn_admin).status_code == 200
    assert client.put("/api/v1/calendars/gb", json=DAY, headers=uk_admin).status_code == 200
    shown = client.get("/api/v1/calendars/cn", headers=cn_admin).json()
    assert [d["day"] for d in shown["days"]] == ["2027-02-05"]
    # An admin bound to no operator (the operator's own platform team) keeps every country.
    assert client.get("/api/v1/calendars/cn", headers=token(app, Role.ADMIN)).status_code == 200
