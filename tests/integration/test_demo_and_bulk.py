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
    assert len(stories) == 11
    for clean in ("+8613800138001", "+8613800138007", "+8613800138008"):
        assert blockers(app, clean) == {"IDENTITY_NOT_VERIFIED"}
    assert "ARREARS" in blockers(app, "+8613800138002")
    assert "COMMITMENT_ACTIVE" in blockers(app, "+8613800138003")
    assert "BINDINGS_PRESENT" in blockers(app, "+8613800138004")
    assert "LOST_REPORTED" in blockers(app, "+8613800138005")
    assert "LEGAL_HOLD" in blockers(app, "+8613800138006")


def test_bulk_precheck_agrees_with_the_single_line_precheck(app: App) -> None:
    with app.sessions.begin() as session:
        seed_demo(session, app.deps)
    seen: dict[str, list[str]] = {}
    with app.sessions() as session:
        for operator in session.execute(select(models.Operator)).scalars().all():
            verdicts = list(bulk_precheck(session, app.deps, operator))
            in_service = set(
                session.execute(
                    select(models.Line.msisdn).where(
                        models.Line.operator_id == operator.id, models.Line.status != "closed"
                    )
                ).scalars()
            )
            assert len(verdicts) == len(in_service)
            assert {v.msisdn for v in verdicts} == in_service
            for verdict in verdicts:
                single = precheck(session, app.deps, ADMIN, verdict.msisdn)
                assert verdict.eligibility.blocker_codes == single.blocker_codes
                assert verdict.eligibility.quote == single.quote
                seen[verdict.msisdn] = list(verdict.eligibility.blocker_codes)
    # The demo's stories reach the bulk path with the blockers they were written to show.
    assert len(seen) >= 9
    assert seen["+8613800138001"] == ["IDENTITY_NOT_VERIFIED"]
    assert "ARREARS" in seen["+8613800138002"]
    assert "LEGAL_HOLD" in seen["+8613800138006"]


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
