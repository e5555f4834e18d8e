"""Webhook subscriptions over HTTP: admins only, the secret shown once, bad input named."""

from __future__ import annotations

from fastapi.testclient import TestClient

from lineclose.bootstrap import App
from lineclose.services.context import Role
from tests.api.helpers import staff
from tests.factories import make_line, make_operator


def test_admins_subscribe_list_and_stop_receivers(app: App, client: TestClient) -> None:
    with app.sessions.begin() as session:
        make_operator(session, app.deps, "cn", code="op-hook")
    admin = staff(app, Role.ADMIN)
    body = {"operator": "op-hook", "url": "https://hooks.example.org/in", "service": "WeChat Pay"}
    assert (
        client.post("/api/v1/webhooks", json=body, headers=staff(app, Role.AGENT)).status_code
        == 403
    )
    made = client.post("/api/v1/webhooks", json=body, headers=admin)
    assert made.status_code == 201, made.text
    assert made.json()["secret"].startswith("whsec_")
    assert made.json()["event_types"] == ["closed", "number.released"]
    bad = client.post("/api/v1/webhooks", json={**body, "url": "ftp://x"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["field"] == "url"
    wrong = client.post("/api/v1/webhooks", json={**body, "event_types": ["paid"]}, headers=admin)
    assert wrong.status_code == 422 and wrong.json()["field"] == "event_types"
    listed = client.get("/api/v1/webhooks", headers=admin).json()["subscriptions"]
    assert [s["service"] for s in listed] == ["WeChat Pay"] and "secret" not in listed[0]
    sub_id = made.json()["id"]
    assert client.delete(f"/api/v1/webhooks/{sub_id}", headers=admin).json()["active"] is False


def test_the_precheck_side_shows_which_bound_services_are_told_automatically(
    app: App, client: TestClient
) -> None:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn", code="op-bound")
        line = make_line(
            session,
            app.deps,
            operator,
            service_password=None,
            bindings=[
                {
                    "service": "Alipay",
                    "category": "payment",
                    "notify_on_closure": True,
                    "notify_email": "numbers@alipay.example",
                },
                {"service": "WeChat Pay", "category": "payment", "notify_on_closure": True},
                {"service": "Bank", "category": "bank"},
            ],
        )
        msisdn = line.msisdn
    admin = staff(app, Role.ADMIN)
    client.post(
        "/api/v1/webhooks",
        json={
            "operator": "op-bound",
            "url": "https://wechat.example/hook",
            "service": "WeChat Pay",
        },
        headers=admin,
    )
    got = client.get(f"/api/v1/lines/{msisdn}/bound-services", headers=staff(app, Role.AGENT))
    assert got.status_code == 200, got.text
    told = {b["service"]: b["told_by"] for b in got.json()["bound_services"]}
    assert told == {"Alipay": "email", "WeChat Pay": "webhook", "Bank": None}
    assert client.get(f"/api/v1/lines/{msisdn}/bound-services").status_code == 401
