"""Operator admin: settings out of range are refused with the allowed range and change nothing;
accepted ones are audited; supervisors read the settings, each rule beside its source."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.services.context import Role
from lineclose.services.identity import open_console_session
from lineclose.web.pages.common import STAFF_COOKIE
from tests.api.helpers import staff


def test_settings_out_of_range_are_refused_with_the_range_and_good_ones_audited(
    app: App, client: TestClient
) -> None:
    admin, supervisor = staff(app, Role.ADMIN), staff(app, Role.SUPERVISOR)
    created = client.post(
        "/api/v1/operators",
        json={"code": "acme-us", "name": "Acme US", "profile": "us"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert (
        client.post(
            "/api/v1/operators",
            json={"code": "acme-us", "name": "x", "profile": "us"},
            headers=admin,
        ).status_code
        == 409
    )

    refusals = [
        (
            "profile",
            {"review_working_days": 40},
            "review_working_days",
            {"minimum": 1, "maximum": 15},
        ),
        # The law's 45-day minimum for aging in the us profile is a floor.
        ("profile", {"aging_days": 30}, "aging_days", {"minimum": 45, "maximum": 365}),
        (
            "auto-approval",
            {"max_refund_minor": -1},
            "max_refund_minor",
            {"minimum": 0, "maximum": 1_000_000},
        ),
        ("auto-approval", {"identity_methods": ["telepathy"]}, "identity_methods", None),
        (
            "notifications",
            {"webhook_url": "http://plain.example"},
            "webhook_url",
            {"maximum_length": 300},
        ),
    ]
    for part, values, field, allowed in refusals:
        refused = client.patch(
            f"/api/v1/operators/acme-us/{part}", json={"values": values}, headers=admin
        )
        assert refused.status_code == 422, refused.text
        body = refused.json()
        assert (body["code"], body["field"]) == ("setting_out_of_range", field)
        if allowed:
            assert body["allowed"] == allowed
    assert (
        client.patch(
            "/api/v1/operators/acme-us/profile",
            json={"values": {"aging_days": 60}},
            headers=supervisor,
        ).status_code
        == 403
    )

    ok = client.patch(
        "/api/v1/operators/acme-us/profile", json={"values": {"aging_days": 60}}, headers=admin
    )
    assert ok.status_code == 200
    aging = next(r for r in ok.json()["rules"] if r["name"] == "aging_days")
    assert (aging["value"], aging["overridden"], aging["profile_value"]) == (60, True, 45)
    client.patch(
        "/api/v1/operators/acme-us/auto-approval", json={"values": {"enabled": True}}, headers=admin
    )
    client.patch(
        "/api/v1/operators/acme-us/notifications",
        json={"values": {"ops_email": "ops@acme.example"}},
        headers=admin,
    )

    with app.sessions() as session:
        operator = session.execute(select(models.Operator)).scalar_one()
        assert operator.profile_overrides == {"aging_days": 60}
        assert operator.auto_approval == {"enabled": True}
        actions = session.execute(
            select(models.AuditEntry.action, models.AuditEntry.details).where(
                models.AuditEntry.entity == "operator"
            )
        ).all()
        assert [a for a, _ in actions] == [
            "operator.created",
            "operator.profile_overrides_set",
            "operator.auto_approval_set",
            "operator.notifications_set",
        ]
        assert actions[1][1]["before"] == {"aging_days": None}
        assert actions[1][1]["after"] == {"aging_days": 60}

    shown = client.get("/api/v1/operators/acme-us", headers=supervisor).json()
    review = next(r for r in shown["rules"] if r["name"] == "review_working_days")
    assert (review["mark"], review["source"]) == ("practice", "operator default")
    assert (
        client.get("/api/v1/operators/acme-us", headers=staff(app, Role.AGENT)).status_code == 403
    )

    with app.sessions.begin() as session:
        console_id, _ = open_console_session(
            session, app.deps, supervisor["Authorization"].removeprefix("Bearer ")
        )
    client.cookies.set(STAFF_COOKIE, console_id)
    page = client.get("/console/operators/acme-us")
    assert page.status_code == 200
    assert "at least 45 days after permanent disconnection" in page.text
    assert "ops@acme.example" in page.text
    assert "<form" not in page.text.split("<main", 1)[-1].split("Sign out")[-1]
    agent = staff(app, Role.AGENT, "agent-2")["Authorization"].removeprefix("Bearer ")
    with app.sessions.begin() as session:
        agent_console, _ = open_console_session(session, app.deps, agent)
    client.cookies.set(STAFF_COOKIE, agent_console)
    assert client.get("/console/operators/acme-us").status_code == 403
