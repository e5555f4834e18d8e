"""Out-of-range numbers and dates are a 422 naming the field, never a 500."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lineclose.bootstrap import App
from lineclose.services.context import Role
from lineclose.web.api import problems
from lineclose.web.api.bounds import MAX_DB_ID, DbIdPath
from tests.api.helpers import staff
from tests.factories import make_line, make_operator

BEYOND_64_BITS = 2**64
# Validation happens before any query: one database is enough (and keeps the suite fast).
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def holder(app: App) -> tuple[str, dict[str, str]]:
    """A line, and an admin's credentials (front desk: may precheck, submit and pay for it)."""
    with app.sessions.begin() as session:
        line = make_line(session, app.deps, make_operator(session, app.deps, "cn"))
    return line.msisdn, staff(app, Role.ADMIN)


@SQLITE_ONLY
@pytest.mark.parametrize("path", ["/api/v1/precheck", "/api/v1/closure-requests"])
def test_a_requested_date_in_year_9999_is_refused_with_the_field_named(
    client: TestClient, holder: tuple[str, dict[str, str]], path: str
) -> None:
    msisdn, headers = holder
    response = client.post(
        path, json={"msisdn": msisdn, "requested_date": "9999-12-31"}, headers=headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_input"
    assert "requested_date" in response.json()["detail"]


@SQLITE_ONLY
@pytest.mark.parametrize("year", ["-5", "99999999999"])
def test_a_calendar_year_out_of_range_is_refused(app: App, client: TestClient, year: str) -> None:
    response = client.get(f"/api/v1/calendars/cn?year={year}", headers=staff(app, Role.ADMIN))
    assert response.status_code == 422, response.text
    assert "year" in response.json()["detail"]


@SQLITE_ONLY
def test_acknowledged_bindings_beyond_an_id_are_refused(
    client: TestClient, holder: tuple[str, dict[str, str]]
) -> None:
    msisdn, headers = holder
    response = client.post(
        "/api/v1/precheck",
        json={"msisdn": msisdn, "acknowledged_bindings": [BEYOND_64_BITS]},
        headers=headers,
    )
    assert response.status_code == 422, response.text


def test_the_id_path_type_refuses_what_no_row_can_have() -> None:
    api = FastAPI()
    problems.install(api)

    @api.get("/things/{thing_id}")
    def thing(thing_id: DbIdPath) -> dict[str, int]:
        return {"id": thing_id}

    client = TestClient(api)
    assert client.get(f"/things/{MAX_DB_ID}").status_code == 200
    for bad in (MAX_DB_ID + 1, BEYOND_64_BITS, 0, -1):
        response = client.get(f"/things/{bad}")
        assert response.status_code == 422, bad
        assert "thing_id" in response.json()["detail"]


@SQLITE_ONLY
@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/lines/{{msisdn}}/bills/{BEYOND_64_BITS}/payments",
        f"/api/v1/lines/{{msisdn}}/bindings/{BEYOND_64_BITS}/unbind",
        f"/api/v1/outbox/{BEYOND_64_BITS}/retry",
    ],
)
def test_row_ids_beyond_64_bits_in_paths_are_refused(
    app: App, client: TestClient, holder: tuple[str, dict[str, str]], path: str
) -> None:
    msisdn, headers = holder
    body = {"amount_minor": 1, "reference": "r"} if "payments" in path else None
    response = client.post(path.format(msisdn=msisdn), json=body, headers=headers)
    assert response.status_code == 422, response.text
