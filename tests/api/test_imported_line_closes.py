"""The whole path for an operator's own subscriber: import the sample files, then close one of
the imported lines through the API, from precheck to a closed line with its certificate."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lineclose.bootstrap import App
from lineclose.config import Settings
from lineclose.services.context import Role, Scope
from lineclose.worker.dispatcher import Worker
from tests.api.helpers import sign_in, staff
from tests.support.data_in import import_samples, operator, token


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The embedded default: the built-in line registry, written with the imported lines."""
    return settings.model_copy(update={"hlr_backend": "registry"})


CLEAN_LINE = "+8613901000010"  # examples/cn: line 10 has no blocker
IMSI = "460000000500010"
HELD_LINE = "+8613901000004"  # line 4 is frozen by a legal hold


def test_an_imported_line_closes_end_to_end(
    app: App, client: TestClient, worker: Worker, tmp_path: Path
) -> None:
    code = operator(app, "cn")
    summary = import_samples(app, code, "cn", tmp_path / "rejects.csv")
    assert summary.inserted > 1_000
    registered = app.deps.hlr.lookup(IMSI)
    assert registered is not None and registered.network_access == "cs+ps"

    held = sign_in(client, app, worker, HELD_LINE)
    blocked = client.post("/api/v1/precheck", json={"msisdn": HELD_LINE}, headers=held).json()
    assert "LEGAL_HOLD" in [b["code"] for b in blocked["blockers"]]

    me = sign_in(client, app, worker, CLEAN_LINE)
    checked = client.post("/api/v1/precheck", json={"msisdn": CLEAN_LINE}, headers=me)
    assert checked.status_code == 200, checked.text
    assert checked.json()["blockers"] == []
    submitted = client.post(
        "/api/v1/closure-requests",
        json={
            "msisdn": CLEAN_LINE,
            "refund_account": "6222020200112233445",
            "alternate_contact": "user10@mail.example.cn",
        },
        headers={**me, "Idempotency-Key": "imported-10"},
    )
    assert submitted.status_code == 201, submitted.text
    reference = submitted.json()["reference"]
    assert submitted.json()["status"] == "under_review"

    approved = client.post(
        f"/api/v1/closure-requests/{reference}/approve", json={}, headers=staff(app, Role.REVIEWER)
    )
    assert approved.status_code == 200, approved.text
    worker.run_until_idle()
    closed = client.get(f"/api/v1/closure-requests/{reference}", headers=me).json()
    assert closed["status"] == "closed"
    certificate = client.get(f"/api/v1/certificates/{closed['certificate_code']}").json()
    assert certificate["valid"] is True
    barred = app.deps.hlr.lookup(IMSI)
    assert barred is not None and barred.network_access == "none"


def test_a_legal_hold_placed_after_approval_stops_the_closure_before_the_sim_is_barred(
    app: App, client: TestClient, worker: Worker, tmp_path: Path
) -> None:
    code = operator(app, "cn")
    import_samples(app, code, "cn", tmp_path / "rejects.csv")
    me = sign_in(client, app, worker, CLEAN_LINE)
    submitted = client.post(
        "/api/v1/closure-requests",
        json={
            "msisdn": CLEAN_LINE,
            "refund_account": "6222020200112233445",
            "alternate_contact": "user10@mail.example.cn",
        },
        headers={**me, "Idempotency-Key": "held-after-approval"},
    )
    reference = submitted.json()["reference"]
    approved = client.post(
        f"/api/v1/closure-requests/{reference}/approve", json={}, headers=staff(app, Role.REVIEWER)
    )
    assert approved.json()["status"] == "approved"
    hold = client.put(
        f"/api/v1/lines/{CLEAN_LINE}/legal-hold",
        json={
            "reason": "court order 2026-31",
            "requested_by": "Clerk Wu",
            "placed_on": "2026-11-25",
        },
        headers=token(app, Scope.HOLDS_WRITE, operator_code=code),
    )
    assert hold.status_code in (200, 201), hold.text

    worker.run_until_idle()

    after = client.get(f"/api/v1/closure-requests/{reference}", headers=me).json()
    assert after["status"] == "approved"
    still = app.deps.hlr.lookup(IMSI)
    assert still is not None and still.network_access == "cs+ps"
