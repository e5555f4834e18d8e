"""TMF622 v4 end to end: create, list with each filter, fields, pagination, patch, cancel before
and after the point of no return, and a hub listener on loopback hearing the events. Every
request and answer is checked against the swagger."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from lineclose.bootstrap import App
from lineclose.services.context import Role, Scope
from lineclose.worker.dispatcher import Worker
from tests.api.standards_support import needs_tmf622, tmf_validator, token
from tests.api.tmf_checks import BASE, checked, listener, refused
from tests.factories import SERVICE_PASSWORD, make_line, make_operator

pytestmark = needs_tmf622

ORDERS = f"{BASE}/productOrder"
CANCELS = f"{BASE}/cancelProductOrder"
SYSTEM = frozenset({Scope.CLOSURE_SUBMIT, Scope.CLOSURE_READ})


def order(
    msisdn: str, external_id: str, *extra: dict[str, Any], **attributes: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "externalId": external_id,
        "notificationContact": "holder@example.org",
        "description": "termination requested in the CRM",
        "category": "termination",
        "relatedParty": [
            {"id": "crm-agent-7", "name": "CRM", "role": "requester", "@referredType": "Individual"}
        ],
        "note": [{"text": "customer moves abroad"}],
        "productOrderItem": [
            {
                "id": "1",
                "action": "delete",
                "product": {"productCharacteristic": [{"name": "msisdn", "value": msisdn}, *extra]},
            }
        ],
        **attributes,
    }
    tmf_validator("ProductOrder_Create").validate(body)
    return body


PASSWORD = {
    "name": "identityEvidence",
    "valueType": "array",
    "value": [{"method": "service_password", "value": SERVICE_PASSWORD}],
}


def test_a_termination_driven_by_tmf622_alone_and_followed_by_events(
    app: App, client: TestClient, worker: Worker
) -> None:
    with app.sessions.begin() as session:
        operator = make_operator(
            session,
            app.deps,
            auto_approval={"enabled": True, "identity_methods": ["service_password"]},
        )
        clean, waiting, withdrawn = (make_line(session, app.deps, operator).msisdn for _ in "abc")
        operator_id = operator.id
    system = token(app, Role.INTEGRATION, operator_id, SYSTEM)

    with listener() as hub:
        registered = client.post(f"{BASE}/hub", json={"callback": hub.url}, headers=system)
        subscription = checked(registered, "POST", "/hub")
        assert registered.status_code == 201 and subscription["callback"] == hub.url

        # create: a clean order from a verified channel is approved at once; others wait
        posted = order(clean, "crm-1", PASSWORD)
        created = client.post(ORDERS, json=posted, headers=system)
        first = checked(created, "POST", "/productOrder")
        assert created.status_code == 201
        for name in ("externalId", "description", "category", "relatedParty", "note"):
            assert first[name] == posted[name], name
        assert {"id", "href", "state", "orderDate", "@type"} <= first.keys()
        assert first["state"] == "inProgress"
        assert first["href"] == f"{ORDERS}/{first['id']}" == created.headers["Location"]
        evidence = first["productOrderItem"][0]["product"]["productCharacteristic"][1]
        assert evidence["value"] == [{"method": "service_password"}]  # never the password
        second = checked(
            client.post(ORDERS, json=order(waiting, "crm-2"), headers=system),
            "POST",
            "/productOrder",
        )
        third = checked(
            client.post(ORDERS, json=order(withdrawn, "crm-3", priority="1"), headers=system),
            "POST",
            "/productOrder",
        )
        assert second["state"] == third["state"] == "pending"

        # list with each filter, fields and pagination
        def listed(query: str, total: int) -> list[dict[str, Any]]:
            answer = client.get(f"{ORDERS}?{query}", headers=system)
            items: list[dict[str, Any]] = checked(answer, "GET", "/productOrder")
            assert answer.headers["X-Total-Count"] == str(total), query
            assert answer.headers["X-Result-Count"] == str(len(items))
            return items

        assert len(listed("", 3)) == 3
        assert {o["id"] for o in listed("state=pending", 2)} == {second["id"], third["id"]}
        assert [o["id"] for o in listed("externalId=crm-1", 1)] == [first["id"]]
        assert [o["id"] for o in listed(f"id={second['id']}", 1)] == [second["id"]]
        assert len(listed("orderDate=2026-11-25", 3)) == 3
        assert listed("orderDate.gt=2026-11-25", 0) == []
        assert len(listed("orderDate.gte=2026-11-25T00:00:00Z", 3)) == 3
        assert [o["id"] for o in listed("priority=1", 1)] == [third["id"]]
        assert [set(o) for o in listed("fields=state,externalId", 3)] == [
            {"id", "href", "@type", "productOrderItem", "state", "externalId"}
        ] * 3
        page = listed("offset=1&limit=1", 3)
        assert len(page) == 1 and page[0]["id"] == listed("", 3)[1]["id"]
        refused(client.get(f"{ORDERS}?colour=red", headers=system), "GET", "/productOrder", 400)
        refused(client.get(f"{ORDERS}?fields=colour", headers=system), "GET", "/productOrder", 400)

        retrieved = client.get(f"{ORDERS}/{first['id']}?fields=state", headers=system)
        assert checked(retrieved, "GET", "/productOrder/{id}") == {
            "id": first["id"],
            "href": first["href"],
            "@type": "ProductOrder",
            "state": "inProgress",
            "productOrderItem": retrieved.json()["productOrderItem"],
        }

        # patch: descriptive attributes while in progress, the closure only while waiting
        path = "/productOrder/{id}"
        merge = {"content-type": "application/merge-patch+json", **system}
        described = client.patch(
            f"{ORDERS}/{first['id']}", json={"description": "moved"}, headers=merge
        )
        assert checked(described, "PATCH", path)["description"] == "moved"
        refused(
            client.patch(
                f"{ORDERS}/{first['id']}", json={"notificationContact": "x@y.org"}, headers=merge
            ),
            "PATCH",
            path,
            409,
            "notWaiting",
        )
        refused(
            client.patch(f"{ORDERS}/{first['id']}", json={"state": "completed"}, headers=merge),
            "PATCH",
            path,
            400,
            "notPatchable",
        )
        fixed = client.patch(
            f"{ORDERS}/{second['id']}",
            json={"productOrderItem": order(waiting, "crm-2", PASSWORD)["productOrderItem"]},
            headers=merge,
        )
        assert checked(fixed, "PATCH", path)["state"] == "inProgress"  # resubmitted, approved

        # cancel before the point of no return withdraws the closure
        cancel = client.post(
            CANCELS,
            json={"productOrder": {"id": third["id"]}, "cancellationReason": "customer stays"},
            headers=system,
        )
        cancelled = checked(cancel, "POST", "/cancelProductOrder")
        assert cancel.status_code == 201 and cancelled["state"] == "done"
        assert client.get(f"{ORDERS}/{third['id']}", headers=system).json()["state"] == "cancelled"

        worker.run_until_idle()  # executes the two approved closures, posts events
        worker.run_until_idle()  # derives the completions and posts them
        done = checked(client.get(f"{ORDERS}/{first['id']}", headers=system), "GET", path)
        assert done["state"] == "completed" and "completionDate" in done
        assert [o["id"] for o in listed("state=completed", 2)] != []

        # after the point of no return a cancel order is refused, the order unchanged
        late = checked(
            client.post(CANCELS, json={"productOrder": {"id": first["id"]}}, headers=system),
            "POST",
            "/cancelProductOrder",
        )
        assert late["state"] == "terminatedWithError"
        cancels = client.get(CANCELS, headers=system)
        assert len(checked(cancels, "GET", "/cancelProductOrder")) == 2
        assert cancels.headers["X-Total-Count"] == "2"
        one = client.get(f"{CANCELS}/{late['id']}", headers=system)
        assert checked(one, "GET", "/cancelProductOrder/{id}")["productOrder"]["id"] == first["id"]
        worker.run_until_idle()

        gone = client.delete(f"{BASE}/hub/{subscription['id']}", headers=system)
        assert gone.status_code == 204

    for path_heard, body in hub.heard:
        event_type = body["eventType"]
        assert path_heard == "/hooks/listener/" + event_type[0].lower() + event_type[1:]
        tmf_validator(event_type).validate(body)
    assert {e["event"]["productOrder"]["id"] for e in hub.events("ProductOrderCreateEvent")} == {
        first["id"],
        second["id"],
        third["id"],
    }
    information = hub.events("ProductOrderInformationRequiredEvent")
    assert {e["event"]["productOrder"]["id"] for e in information} == {second["id"], third["id"]}
    changes = [
        (e["event"]["productOrder"]["id"], e["event"]["productOrder"]["state"])
        for e in hub.events("ProductOrderStateChangeEvent")
    ]
    assert (first["id"], "completed") in changes and (second["id"], "completed") in changes
    assert (second["id"], "inProgress") in changes and (third["id"], "cancelled") in changes
    assert len(hub.events("ProductOrderAttributeValueChangeEvent")) == 2
    cancel_states = [
        e["event"]["cancelProductOrder"]["state"]
        for e in hub.events("CancelProductOrderStateChangeEvent")
    ]
    assert sorted(cancel_states) == ["done", "terminatedWithError"]
    assert len({e["eventId"] for _, e in hub.heard}) == len(hub.heard)  # none twice
