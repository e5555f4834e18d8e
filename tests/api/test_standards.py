"""TMF622 and CAMARA endpoints, checked against the specifications in ../shared/specs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from jsonschema import Draft4Validator, Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

from lineclose.bootstrap import App
from lineclose.services.context import Role
from lineclose.worker.dispatcher import Worker
from tests.api.helpers import staff
from tests.factories import make_line, make_operator

SPECS = Path(__file__).resolve().parents[3] / "shared" / "specs"
TMF622 = SPECS / "tmf622" / "TMF622-ProductOrder-v4.0.0.swagger.json"
CAMARA = SPECS / "camara" / "API_definitions" / "number-recycling.yaml"

needs_specs = pytest.mark.skipif(
    not TMF622.exists() or not CAMARA.exists(),
    reason=f"API specifications not found under {SPECS}: place the shared specs beside the project",
)


def tmf_validator(definition: str) -> Draft4Validator:
    document = json.loads(TMF622.read_text())
    resource = Resource.from_contents(document, default_specification=DRAFT4)
    registry: Registry[Any] = Registry().with_resource("tmf622.json", resource)
    return Draft4Validator({"$ref": f"tmf622.json#/definitions/{definition}"}, registry=registry)


def camara_validator(schema: str) -> Draft202012Validator:
    document = yaml.safe_load(CAMARA.read_text())
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource("camara.yaml", resource)
    return Draft202012Validator(
        {"$ref": f"camara.yaml#/components/schemas/{schema}"}, registry=registry
    )


def line(app: App, **extra: Any) -> str:
    with app.sessions.begin() as session:
        return make_line(session, app.deps, make_operator(session, app.deps), **extra).msisdn


@needs_specs
def test_a_tmf622_delete_order_creates_a_closure_request_and_answers_a_valid_product_order(
    app: App, client: TestClient, worker: Worker
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
    tmf_validator("ProductOrder_Create").validate(order)
    created = client.post(
        "/tmf-api/productOrderingManagement/v4/productOrder", json=order, headers=agent
    )
    assert created.status_code == 201, created.text
    body = created.json()
    tmf_validator("ProductOrder").validate(body)
    assert body["productOrderItem"][0]["action"] == "delete"
    assert body["state"] == "pending"  # no identity proof yet: the request needs action
    again = client.get(
        f"/tmf-api/productOrderingManagement/v4/productOrder/{body['id']}", headers=agent
    )
    tmf_validator("ProductOrder").validate(again.json())
    assert again.json()["id"] == body["id"]


@needs_specs
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
    refused = client.post(
        "/tmf-api/productOrderingManagement/v4/productOrder",
        json=order,
        headers=staff(app, Role.AGENT),
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "unsupported_order"


@needs_specs
def test_camara_number_recycling_answers_match_the_specification(
    app: App, client: TestClient
) -> None:
    msisdn = line(app)
    request = {"phoneNumber": msisdn, "specifiedDate": "2026-01-01"}
    camara_validator("CreateCheckNumRecycling").validate(request)
    answer = client.post(
        "/number-recycling/v0.2/check", json=request, headers=staff(app, Role.ADMIN)
    )
    assert answer.status_code == 200, answer.text
    camara_validator("CheckNumRecyclingInfo").validate(answer.json())
    assert answer.json() == {"phoneNumberRecycled": False}
