"""Every error path TMF622 documents, answered in the TMF error shape and checked against the
swagger: bad input (400), no or a bad token (401), a token without the scope or role (403),
an order that does not exist or belongs to another operator (404), a conflict (409)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from lineclose.bootstrap import App
from lineclose.services.context import Role, Scope
from tests.api.standards_support import needs_tmf622, token
from tests.api.tmf_checks import BASE, checked, refused
from tests.factories import make_line, make_operator

pytestmark = needs_tmf622

SYSTEM = frozenset({Scope.CLOSURE_SUBMIT, Scope.CLOSURE_READ})


def delete_order(msisdn: str, *extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "productOrderItem": [
            {
                "id": "1",
                "action": "delete",
                "product": {"productCharacteristic": [{"name": "msisdn", "value": msisdn}, *extra]},
            }
        ]
    }


def test_every_documented_refusal_comes_in_the_tmf_error_shape(
    app: App, client: TestClient
) -> None:
    with app.sessions.begin() as session:
        mine, theirs = make_operator(session, app.deps), make_operator(session, app.deps)
        msisdn = make_line(session, app.deps, mine).msisdn
        mine_id, theirs_id = mine.id, theirs.id
    system = token(app, Role.INTEGRATION, mine_id, SYSTEM)
    stranger = token(app, Role.INTEGRATION, theirs_id, SYSTEM, name="stranger")
    precheck_only = token(app, Role.INTEGRATION, mine_id, frozenset({Scope.PRECHECK}))
    orders, one = f"{BASE}/productOrder", "/productOrder/{id}"

    for body, code in [
        ({"productOrderItem": []}, "unsupportedOrder"),
        ({"note": "no items"}, "unsupportedOrder"),
        (delete_order(msisdn, {"name": "colour", "value": "red"}), "unknownCharacteristic"),
        (
            delete_order(msisdn, {"name": "acceptEarlyTerminationFee", "value": "yes"}),
            "invalidCharacteristic",
        ),
        (
            delete_order(msisdn, {"name": "identityEvidence", "value": [{"method": "telepathy"}]}),
            "invalidCharacteristic",
        ),
        ({**delete_order(msisdn), "state": "completed"}, "readOnlyAttribute"),
        (delete_order("not a number"), "invalid_msisdn"),
        (delete_order("+8613912345678"), "unknown_line"),
    ]:
        refused(client.post(orders, json=body, headers=system), "POST", "/productOrder", 400, code)
    not_json = client.post(
        orders, content=b"{", headers={**system, "content-type": "application/json"}
    )
    refused(not_json, "POST", "/productOrder", 400, "invalidRequest")
    refused(client.post(orders, json=delete_order(msisdn)), "POST", "/productOrder", 401)
    refused(
        client.post(orders, json=delete_order(msisdn), headers={"Authorization": "Bearer nope"}),
        "POST",
        "/productOrder",
        401,
    )
    refused(
        client.post(orders, json=delete_order(msisdn), headers=precheck_only),
        "POST",
        "/productOrder",
        403,
    )
    refused(
        client.post(orders, json=delete_order(msisdn), headers=stranger),
        "POST",
        "/productOrder",
        400,
        "unknown_line",
    )
    refused(client.get(orders, headers=precheck_only), "GET", "/productOrder", 403)
    refused(client.get(f"{orders}?limit=0", headers=system), "GET", "/productOrder", 400)
    refused(
        client.get(f"{orders}?orderDate=yesterday", headers=system), "GET", "/productOrder", 400
    )

    created = checked(
        client.post(orders, json=delete_order(msisdn), headers=system), "POST", "/productOrder"
    )
    refused(
        client.post(orders, json=delete_order(msisdn), headers=system),
        "POST",
        "/productOrder",
        409,
        "open_request_exists",
    )
    url = f"{orders}/{created['id']}"
    refused(client.get(f"{orders}/LC-2026-NOSUCH", headers=system), "GET", one, 404, "notFound")
    refused(client.get(url, headers=stranger), "GET", one, 404, "notFound")  # no leak
    assert client.get(orders, headers=stranger).headers["X-Total-Count"] == "0"
    refused(client.get(f"{url}?fields=colour", headers=system), "GET", one, 400, "invalidFields")
    refused(client.patch(url, json={"id": "x"}, headers=system), "PATCH", one, 400, "notPatchable")
    refused(client.patch(url, content=b"[]", headers=system), "PATCH", one, 400, "invalidRequest")
    refused(client.patch(url, json={"description": "x"}, headers=stranger), "PATCH", one, 404)

    cancels = f"{BASE}/cancelProductOrder"
    refused(client.post(cancels, json={}, headers=system), "POST", "/cancelProductOrder", 400)
    refused(
        client.post(cancels, json={"productOrder": {"id": created["id"]}}, headers=stranger),
        "POST",
        "/cancelProductOrder",
        403,
        "orderNotAccessible",
    )
    refused(client.get(f"{cancels}/nope", headers=system), "GET", "/cancelProductOrder/{id}", 404)
    refused(client.get(f"{cancels}?colour=red", headers=system), "GET", "/cancelProductOrder", 400)

    deleted = client.delete(url, headers=system)
    refused(deleted, "DELETE", one, 405, "methodNotAllowed")
    hub = f"{BASE}/hub"
    for body in (
        {},
        {"callback": "ftp://x"},
        {"callback": "http://127.0.0.1:9/x", "query": "a=b"},
        {"callback": "http://127.0.0.1:9/x", "query": "eventType=NoSuchEvent"},
    ):
        refused(client.post(hub, json=body, headers=system), "POST", "/hub", 400)
    refused(
        client.post(hub, json={"callback": "http://127.0.0.1:9/x"}, headers=precheck_only),
        "POST",
        "/hub",
        403,
    )
    registered = checked(
        client.post(
            hub,
            json={
                "callback": "http://127.0.0.1:9/x",
                "query": "eventType=ProductOrderStateChangeEvent",
            },
            headers=system,
        ),
        "POST",
        "/hub",
    )
    refused(
        client.delete(f"{hub}/{registered['id']}", headers=stranger), "DELETE", "/hub/{id}", 404
    )
    assert client.delete(f"{hub}/{registered['id']}", headers=system).status_code == 204
