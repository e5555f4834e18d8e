"""A transition made outside TMF622 (a reviewer's rejection) is announced to hub listeners once,
whether `announce` runs in the transition's transaction or the worker's sweep finds it."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.services.context import Role, Scope
from lineclose.services.tmf622 import hub
from tests.api.standards_support import needs_tmf622, token
from tests.api.tmf_checks import BASE, checked
from tests.factories import make_line, make_operator

pytestmark = needs_tmf622


def state_changes(app: App) -> list[str]:
    with app.sessions() as session:
        rows = session.execute(
            select(models.OutboxRow.payload)
            .where(models.OutboxRow.step == hub.TMF_EVENT)
            .order_by(models.OutboxRow.id)
        ).scalars()
        return [
            p["body"]["event"]["productOrder"]["state"]
            for p in rows
            if p["body"]["eventType"] == "ProductOrderStateChangeEvent"
        ]


def test_a_rejection_made_elsewhere_is_announced_once(app: App, client: TestClient) -> None:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps)
        msisdn, operator_id = make_line(session, app.deps, operator).msisdn, operator.id
    agent = token(app, Role.AGENT, operator_id, name="store-agent")
    reviewer = token(app, Role.REVIEWER, operator_id, name="reviewer")
    system = token(app, Role.INTEGRATION, operator_id, frozenset({Scope.CLOSURE_READ}))
    checked(
        client.post(f"{BASE}/hub", json={"callback": "http://127.0.0.1:9/tmf"}, headers=system),
        "POST",
        "/hub",
    )
    evidence = {"name": "identityEvidence", "value": [{"method": "id_document_seen"}]}
    item = {"productCharacteristic": [{"name": "msisdn", "value": msisdn}, evidence]}
    body = {
        "notificationContact": "holder@example.org",
        "productOrderItem": [{"id": "1", "action": "delete", "product": item}],
    }
    created = checked(
        client.post(f"{BASE}/productOrder", json=body, headers=agent), "POST", "/productOrder"
    )
    assert created["state"] == "acknowledged"  # under review: no auto-approval here
    rejected = client.post(
        f"/api/v1/closure-requests/{created['id']}/reject",
        json={"reasons": [{"code": "ID_MISMATCH"}]},
        headers=reviewer,
    )
    assert rejected.status_code == 200, rejected.text
    # The transition itself announces it, in the rejection's own transaction.
    assert state_changes(app) == ["held"]
    with app.sessions.begin() as session:
        request_id = session.execute(
            select(models.ClosureRequest.id).where(models.ClosureRequest.reference == created["id"])
        ).scalar_one()
        hub.announce(session, app.deps, request_id)
    assert state_changes(app) == ["held"]
    with app.sessions.begin() as session:
        assert hub.sweep(session, app.deps) == 0  # nothing left behind, nothing sent twice
    assert state_changes(app) == ["held"]
