"""TMF622 and CAMARA endpoints, checked against the specifications in ../shared/specs."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from lineclose.bootstrap import App
from lineclose.services.context import Role
from tests.api.helpers import staff
from tests.api.standards_support import camara_validator, needs_camara, needs_tmf622
from tests.api.tmf_checks import BASE, checked, refused
from tests.factories import make_line, make_operator


def line(app: App, **extra: Any) -> str:
    with app.sessions.begin() as session:
        return make_line(session, app.deps, make_operator(session, app.deps), **extra).msisdn


@needs_tmf622
def test_a_tmf622_delete_order_creates_a_closure_request_and_answers_a_valid_product_order(
    app: App, client: TestClient
) -> None:
    msisdn = line(app)
    agent = staff(app, Role.AGENT)
    order = {
        "externalId": "crm-4711",
        "notificationContact": "holder@example.org",
        "productOrderItem": [
            {
                "id": "1",
                "action": "delete",
                "product": {"productCharacteristic": [{"name": "msisdn", "value": msisdn}]},
            }
        ],
    }
    created = client.post(f"{BASE}/productOrder", json=order, headers=agent)
    assert created.status_code == 201, created.text
    body = checked(created, "POST", "/productOrder")
    assert body["productOrderItem"][0]["action"] == "delete"
    assert body["state"] == "pending"  # no identity proof yet: the request needs action
    again = client.get(f"{BASE}/productOrder/{body['id']}", headers=agent)
    assert checked(again, "GET", "/productOrder/{id}")["id"] == body["id"]


@needs_tmf622
def test_a_tmf622_order_without_a_delete_item_is_refused(app: App, client: TestClient) -> None:
    msisdn = line(app)
    order = {
        "productOrderItem": [
            {
                "id": "1",
                "action": "add",
                "product": {"productCharacteristic": [{"name": "msisdn", "value": msisdn}]},
            }
        ]
    }
    answer = client.post(f"{BASE}/productOrder", json=order, headers=staff(app, Role.AGENT))
    refused(answer, "POST", "/productOrder", 400, "unsupportedOrder")


@needs_camara
def test_camara_number_recycling_answers_match_the_specification(
    app: App, client: TestClient
) -> None:
    msisdn = line(app)
    request = {"phoneNumber": msisdn, "specifiedDate": "2026-01-01"}
    camara_validator("components/schemas/CreateCheckNumRecycling").validate(request)
    answer = client.post(
        "/number-recycling/v0.2/check", json=request, headers=staff(app, Role.ADMIN)
    )
    assert answer.status_code == 200, answer.text
    camara_validator("components/schemas/CheckNumRecyclingInfo").validate(answer.json())
    assert answer.json() == {"phoneNumberRecycled": False}
