"""An aged number goes to a new line; before that it cannot, and the old closure stays on record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.errors import Conflict
from lineclose.ports.clock import FrozenClock
from lineclose.services.context import Role
from lineclose.worker.dispatcher import Worker
from tests.api.helpers import staff
from tests.factories import make_line, make_operator


def test_a_number_is_given_to_a_new_line_only_after_it_has_aged(
    app: App, client: TestClient, worker: Worker, clock: FrozenClock
) -> None:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "us")
        operator_id = operator.id
        msisdn = make_line(session, app.deps, operator).msisdn
    agent, reviewer = staff(app, Role.AGENT), staff(app, Role.REVIEWER)
    submitted = client.post(
        "/api/v1/closure-requests",
        json={
            "msisdn": msisdn,
            "channel": "store",
            "alternate_contact": "old@example.org",
            "identity": [{"method": "id_document_seen"}],
        },
        headers=agent,
    ).json()
    reference = submitted["reference"]
    client.post(f"/api/v1/closure-requests/{reference}/approve", json={}, headers=reviewer)
    worker.run_until_idle()

    def provision() -> None:
        with app.sessions.begin() as session:
            operator = session.get(models.Operator, operator_id)
            assert operator is not None
            make_line(session, app.deps, operator, msisdn=msisdn, holder_name="New Holder")

    with pytest.raises(Conflict) as aging:
        provision()
    assert aging.value.code == "number_still_aging"

    clock.advance(timedelta(days=45))  # the us profile's aging interval
    worker.run_until_idle()
    provision()

    line = client.get(f"/api/v1/lines/{msisdn}", headers=agent).json()
    assert line["status"] == "active"
    old = client.get(f"/api/v1/closure-requests/{reference}", headers=agent).json()
    assert old["status"] == "closed"
    assert client.get(f"/api/v1/certificates/{old['certificate_code']}").json()["valid"] is True
    recycled = client.post(
        "/number-recycling/v0.2/check",
        json={"phoneNumber": msisdn, "specifiedDate": "2026-11-01"},
        headers=agent,
    )
    assert recycled.json() == {"phoneNumberRecycled": True}
    with pytest.raises(Conflict) as in_service:
        provision()
    assert in_service.value.code == "number_in_service"
