"""A port-out is not a disconnection: the number leaves with its subscriber and never ages here."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.ports.clock import FrozenClock
from lineclose.services.context import Role
from lineclose.worker.dispatcher import Worker
from tests.api.helpers import staff
from tests.factories import make_line, make_operator


def line_porting_out(app: App) -> tuple[str, str]:
    with app.sessions.begin() as session:
        line = make_line(session, app.deps, make_operator(session, app.deps, "us"))
        session.add(
            models.OpenOrder(
                line_id=line.id,
                kind="port_out",
                reference="PO-1001",
                status="open",
                created_at=app.deps.clock.now(),
            )
        )
        return line.msisdn, line.imsi


def test_a_completed_port_out_bars_the_sim_and_the_number_never_ages(
    app: App, client: TestClient, worker: Worker, clock: FrozenClock
) -> None:
    msisdn, imsi = line_porting_out(app)
    admin = staff(app, Role.ADMIN)
    blocked = client.post("/api/v1/precheck", json={"msisdn": msisdn}, headers=admin).json()
    assert "OPEN_ORDER" in [b["code"] for b in blocked["blockers"]]

    done = client.post(
        f"/api/v1/lines/{msisdn}/port-out", json={"order_reference": "PO-1001"}, headers=admin
    )
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "ported_out"
    worker.run_until_idle()
    assert app.deps.hlr.lookup(imsi).network_access == "none"  # type: ignore[union-attr]

    clock.advance(timedelta(days=400))
    worker.run_until_idle()
    number = client.get(f"/api/v1/numbers/{msisdn}", headers=staff(app, Role.ADMIN, "a2")).json()
    assert number["state"] == "ported_out" and number["aging_until"] is None
    recycled = client.post(
        "/number-recycling/v0.2/check",
        json={"phoneNumber": msisdn, "specifiedDate": "2026-01-01"},
        headers=admin,
    )
    # Never disconnected here, and now another network's number: CAMARA's documented answer.
    assert recycled.status_code == 404
    assert recycled.json()["code"] == "IDENTIFIER_NOT_FOUND"
    again = client.post(
        f"/api/v1/lines/{msisdn}/port-out", json={"order_reference": "PO-1001"}, headers=admin
    )
    assert again.status_code == 409 and again.json()["code"] == "order_not_open"


def test_only_admins_record_port_outs_and_only_for_a_known_order(
    app: App, client: TestClient
) -> None:
    msisdn, _ = line_porting_out(app)
    refused = client.post(
        f"/api/v1/lines/{msisdn}/port-out",
        json={"order_reference": "PO-1001"},
        headers=staff(app, Role.AGENT),
    )
    assert refused.status_code == 403
    unknown = client.post(
        f"/api/v1/lines/{msisdn}/port-out",
        json={"order_reference": "PO-9999"},
        headers=staff(app, Role.ADMIN),
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_order"
