"""CAMARA Number Recycling v0.2, every documented status and error code, each response body
validated against the schema the YAML gives for that status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import update

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.services.context import Role, Scope
from lineclose.worker.dispatcher import Worker
from tests.api.helpers import sign_in
from tests.api.standards_support import (
    camara_document,
    camara_validator,
    close_line,
    needs_camara,
    token,
)
from tests.factories import make_line, make_operator

pytestmark = needs_camara

CHECK = "/number-recycling/v0.2/check"
CHECKER = frozenset({Scope.NUMBER_RECYCLING_CHECK})


@dataclass
class World:
    operator_id: int
    active: str  # operator A's line, never disconnected
    checker: dict[str, str]  # operator A's integration token with the scope


@pytest.fixture
def world(app: App) -> World:
    with app.sessions.begin() as session:
        a = make_operator(session, app.deps, "us")
        active = make_line(session, app.deps, a).msisdn
        a_id = a.id
    return World(a_id, active, token(app, Role.INTEGRATION, a_id, CHECKER))


def another_line(app: App, operator_id: int | None = None, **extra: Any) -> str:
    with app.sessions.begin() as session:
        operator = (
            session.get(models.Operator, operator_id)
            if operator_id
            else make_operator(session, app.deps, "us")
        )
        assert operator is not None
        return make_line(session, app.deps, operator, **extra).msisdn


def spec_response(answer: Response, correlator: str | None = None) -> dict[str, Any]:
    """Check the answer against the YAML: a documented status, its schema, the correlator."""
    documented = camara_document()["paths"]["/check"]["post"]["responses"]
    assert str(answer.status_code) in documented, answer.text
    name = documented[str(answer.status_code)]["$ref"].rsplit("/", 1)[1]
    assert answer.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = answer.json()
    camara_validator(f"components/responses/{name}/content/application~1json/schema").validate(body)
    assert answer.headers.get("x-correlator") == correlator
    return body


def refused(answer: Response, status: int, code: str, correlator: str | None = None) -> None:
    body = spec_response(answer, correlator)
    assert (answer.status_code, body["status"], body["code"]) == (status, status, code), body
    assert body["message"]


def test_a_number_disconnected_on_or_after_the_date_was_recycled(
    app: App, client: TestClient, worker: Worker, world: World
) -> None:
    closed = another_line(app, world.operator_id)
    close_line(app, client, worker, closed)  # today: 2026-11-24 on the operator's US clock
    correlator = "b4333c46-49c0-4f62-80d7-f0ef930f1c46"
    headers = {**world.checker, "x-correlator": correlator}
    request = {"phoneNumber": closed, "specifiedDate": "2026-11-24"}
    camara_validator("components/schemas/CreateCheckNumRecycling").validate(request)
    answer = client.post(CHECK, json=request, headers=headers)
    assert spec_response(answer, correlator) == {"phoneNumberRecycled": True}
    later = client.post(
        CHECK, json={"phoneNumber": closed, "specifiedDate": "2026-11-25"}, headers=headers
    )
    assert later.status_code == 400  # tomorrow, for this operator's US clock, is the future
    kept = client.post(
        CHECK, json={"phoneNumber": world.active, "specifiedDate": "2024-06-01"}, headers=headers
    )
    assert spec_response(kept, correlator) == {"phoneNumberRecycled": False}
    # before the records begin, a known later disconnection still answers definitely
    early = {"phoneNumber": closed, "specifiedDate": "2020-12-31"}
    assert spec_response(client.post(CHECK, json=early, headers=headers), correlator) == {
        "phoneNumberRecycled": True
    }


def test_a_three_legged_token_names_the_number_itself(
    app: App, client: TestClient, worker: Worker, world: World
) -> None:
    session_token = sign_in(client, app, worker, world.active)
    answer = client.post(CHECK, json={"specifiedDate": "2025-01-01"}, headers=session_token)
    assert spec_response(answer) == {"phoneNumberRecycled": False}


MALFORMED = [
    (b"", "no body"),
    (b"{}", "empty object: specifiedDate missing"),
    (b"{not json", "not JSON"),
    (b"[]", "not an object"),
    (b'{"specifiedDate": 20240101}', "date as a number"),
    (b'{"specifiedDate": "2024-02-30"}', "no such day"),
    (b'{"specifiedDate": "31/10/2024"}', "not RFC 3339"),
    (b'{"specifiedDate": "2024-10-31", "phoneNumber": "12025550123"}', "no plus"),
    (b'{"specifiedDate": "2024-10-31", "phoneNumber": "+0123456"}', "leading zero"),
    (b'{"specifiedDate": "2024-10-31", "phoneNumber": 12025550123}', "number type"),
]


def test_invalid_argument_for_a_missing_empty_or_malformed_body_or_correlator(
    client: TestClient, world: World
) -> None:
    headers = {**world.checker, "content-type": "application/json", "x-correlator": "c-1"}
    for content, why in MALFORMED:
        answer = client.post(CHECK, content=content, headers=headers)
        assert answer.status_code == 400, why
        refused(answer, 400, "INVALID_ARGUMENT", "c-1")
    request = {"phoneNumber": world.active, "specifiedDate": "2024-10-31"}
    answer = client.post(CHECK, json=request, headers={**world.checker, "x-correlator": "a b"})
    refused(answer, 400, "INVALID_ARGUMENT")  # an invalid correlator is not echoed


def test_out_of_range_for_a_future_date_or_one_before_the_records(
    client: TestClient, world: World
) -> None:
    future = {"phoneNumber": world.active, "specifiedDate": "2027-01-01"}
    refused(client.post(CHECK, json=future, headers=world.checker), 400, "OUT_OF_RANGE")
    before = {"phoneNumber": world.active, "specifiedDate": "2020-12-31"}
    refused(client.post(CHECK, json=before, headers=world.checker), 400, "OUT_OF_RANGE")


def test_unauthenticated_without_a_valid_token(client: TestClient, world: World) -> None:
    for authorization in (None, "Bearer lcs_not-a-token", "Basic dXNlcjpwYXNz", "Bearer "):
        headers = {"x-correlator": "x-9"}
        if authorization is not None:
            headers["Authorization"] = authorization
        answer = client.post(
            CHECK,
            json={"phoneNumber": world.active, "specifiedDate": "2024-01-01"},
            headers=headers,
        )
        refused(answer, 401, "UNAUTHENTICATED", "x-9")


def test_permission_denied_for_a_token_without_the_scope(
    app: App, client: TestClient, world: World
) -> None:
    precheck_only = token(app, Role.INTEGRATION, None, frozenset({Scope.PRECHECK}))
    answer = client.post(
        CHECK,
        json={"phoneNumber": world.active, "specifiedDate": "2024-01-01"},
        headers=precheck_only,
    )
    refused(answer, 403, "PERMISSION_DENIED")


def test_identifier_not_found_for_another_operators_number_or_an_unknown_one(
    app: App, client: TestClient, world: World
) -> None:
    for number in (another_line(app), "+12025559876"):
        answer = client.post(
            CHECK,
            json={"phoneNumber": number, "specifiedDate": "2024-01-01"},
            headers=world.checker,
        )
        refused(answer, 404, "IDENTIFIER_NOT_FOUND")


def test_missing_identifier_with_a_two_legged_token_and_no_number(
    client: TestClient, world: World
) -> None:
    answer = client.post(CHECK, json={"specifiedDate": "2024-01-01"}, headers=world.checker)
    refused(answer, 422, "MISSING_IDENTIFIER")


def test_unnecessary_identifier_with_a_three_legged_token_and_a_number(
    app: App, client: TestClient, worker: Worker, world: World
) -> None:
    session_token = sign_in(client, app, worker, world.active)
    answer = client.post(
        CHECK,
        json={"phoneNumber": world.active, "specifiedDate": "2024-01-01"},
        headers=session_token,
    )
    refused(answer, 422, "UNNECESSARY_IDENTIFIER")


def test_service_not_applicable_to_a_data_only_card(
    app: App, client: TestClient, world: World
) -> None:
    data_card = another_line(app, world.operator_id, kind="data-only")
    answer = client.post(
        CHECK,
        json={"phoneNumber": data_card, "specifiedDate": "2024-01-01"},
        headers=world.checker,
    )
    refused(answer, 422, "SERVICE_NOT_APPLICABLE")


def test_a_closed_data_only_card_no_longer_makes_its_number_inapplicable(
    app: App, client: TestClient, world: World
) -> None:
    data_card = another_line(app, world.operator_id, kind="data-only")
    with app.sessions.begin() as session:
        session.execute(
            update(models.Line).where(models.Line.msisdn == data_card).values(status="closed")
        )
    answer = client.post(
        CHECK,
        json={"phoneNumber": data_card, "specifiedDate": "2024-01-01"},
        headers=world.checker,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"phoneNumberRecycled": False}
