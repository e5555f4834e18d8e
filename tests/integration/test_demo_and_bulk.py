"""The demo data shows every path, and the bulk precheck agrees with the one-line precheck."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from lineclose.bootstrap import App
from lineclose.cli.bulk import run_close, run_precheck
from lineclose.db import models
from lineclose.services.bulk import bulk_precheck
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.precheck import precheck
from lineclose.services.seed import seed_demo
from lineclose.worker.dispatcher import Worker

ADMIN = Actor(Role.ADMIN, "test", Channel.API)


def blockers(app: App, msisdn: str) -> set[str]:
    with app.sessions() as session:
        return {b.code.value for b in precheck(session, app.deps, ADMIN, msisdn).blockers}


def test_the_demo_data_shows_every_blocker(app: App) -> None:
    with app.sessions.begin() as session:
        stories = seed_demo(session, app.deps)
    assert len(stories) == 9
    assert blockers(app, "+8613800138001") == {"IDENTITY_NOT_VERIFIED"}
    assert "ARREARS" in blockers(app, "+8613800138002")
    assert "COMMITMENT_ACTIVE" in blockers(app, "+8613800138003")
    assert "BINDINGS_PRESENT" in blockers(app, "+8613800138004")
    assert "LOST_REPORTED" in blockers(app, "+8613800138005")
    assert "LEGAL_HOLD" in blockers(app, "+8613800138006")


def test_bulk_precheck_agrees_with_the_single_line_precheck(app: App) -> None:
    with app.sessions.begin() as session:
        seed_demo(session, app.deps)
    with app.sessions() as session:
        for operator in session.execute(select(models.Operator)).scalars().all():
            for verdict in bulk_precheck(session, app.deps, operator):
                single = precheck(session, app.deps, ADMIN, verdict.msisdn)
                assert verdict.eligibility.blocker_codes == single.blocker_codes
                assert verdict.eligibility.quote == single.quote


def test_a_fleet_closes_in_bulk_and_each_line_gets_its_own_request(
    app: App, worker: Worker
) -> None:
    with app.sessions.begin() as session:
        seed_demo(session, app.deps)
        for imsi, msisdn in session.execute(select(models.Line.imsi, models.Line.msisdn)).all():
            app.deps.hlr.create_subscriber(imsi, msisdn)  # type: ignore[attr-defined]
    counts = run_precheck(app, "demo-cn", "ACME-IOT")
    assert counts == Counter({"IDENTITY_NOT_VERIFIED": 10})
    outcome = run_close(app, "demo-cn", "ACME-IOT", None, "it@acme.example", "ops")
    assert outcome == Counter({"under_review": 10})
    again = run_close(app, "demo-cn", "ACME-IOT", None, "it@acme.example", "ops")
    assert again == Counter({"under_review": 10})  # same idempotency keys: no new requests
    with app.sessions() as session:
        requests = session.execute(select(models.ClosureRequest)).scalars().all()
        assert {r.channel for r in requests} == {"bulk"}
        assert len(requests) == 10
