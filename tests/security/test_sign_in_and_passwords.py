"""Sign-in and service passwords: lock-out, throttled codes, sign-out, resets, second approver."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.ports.clock import FrozenClock
from lineclose.services.context import Role
from lineclose.worker.dispatcher import Worker
from tests.api.helpers import last_code, sign_in, staff
from tests.factories import HOLDER_ID, make_line, make_operator


def new_line(app: App, **overrides: object) -> str:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn")
        return make_line(session, app.deps, operator, **overrides).msisdn


def code_for(client: TestClient, msisdn: str, path: str = "/api/v1/auth/otp") -> str:
    started = client.post(path, json={"msisdn": msisdn})
    assert started.status_code == 202, started.text
    return str(started.json()["challenge_id"])


def test_guessing_codes_locks_the_line_before_a_guess_can_succeed(
    app: App, client: TestClient, worker: Worker, clock: FrozenClock
) -> None:
    msisdn = new_line(app)
    limit = app.settings.otp_lockout_failures
    wrong = 0
    challenge = ""
    while wrong < limit:
        clock.advance(timedelta(seconds=app.settings.otp_resend_min_seconds))
        challenge = code_for(client, msisdn)
        worker.run_until_idle()
        right = last_code(app)
        for _ in range(app.settings.otp_max_attempts):
            guess = f"{(int(right) + 1) % 1_000_000:06d}"
            answer = client.post(
                "/api/v1/auth/otp/verify", json={"challenge_id": challenge, "code": guess}
            )
            if answer.status_code == 429:
                break
            wrong += 1
            if wrong == limit:
                break
    # The right code of a live challenge is now refused: the line is locked.
    refused = client.post(
        "/api/v1/auth/otp/verify", json={"challenge_id": challenge, "code": right}
    )
    assert refused.status_code == 429
    assert refused.json()["code"] == "line_locked"
    assert int(refused.headers["Retry-After"]) > 0
    clock.advance(timedelta(seconds=app.settings.otp_resend_min_seconds))
    assert client.post("/api/v1/auth/otp", json={"msisdn": msisdn}).status_code == 429


def test_a_second_code_within_a_minute_is_refused_with_retry_after(
    app: App, client: TestClient, clock: FrozenClock
) -> None:
    msisdn = new_line(app)
    code_for(client, msisdn)
    again = client.post("/api/v1/auth/otp", json={"msisdn": msisdn})
    assert again.status_code == 429
    assert again.headers["content-type"] == "application/problem+json"
    assert 0 < int(again.headers["Retry-After"]) <= 60
    clock.advance(timedelta(seconds=61))
    assert client.post("/api/v1/auth/otp", json={"msisdn": msisdn}).status_code == 202


def test_sign_out_revokes_the_session_and_sessions_expire(
    app: App, client: TestClient, worker: Worker, clock: FrozenClock
) -> None:
    msisdn = new_line(app)
    me = sign_in(client, app, worker, msisdn)
    assert client.get(f"/api/v1/lines/{msisdn}", headers=me).status_code == 200
    assert client.post("/api/v1/auth/sign-out", headers=me).status_code == 204
    assert client.get(f"/api/v1/lines/{msisdn}", headers=me).status_code == 401
    clock.advance(timedelta(seconds=61))
    again = sign_in(client, app, worker, msisdn)
    clock.advance(timedelta(seconds=app.settings.session_ttl_seconds + 1))
    assert client.get(f"/api/v1/lines/{msisdn}", headers=again).status_code == 401


def test_a_forgotten_password_is_reset_with_a_code_and_the_last_six_of_the_id(
    app: App, client: TestClient, worker: Worker, clock: FrozenClock
) -> None:
    msisdn = new_line(app)
    challenge = code_for(client, msisdn, "/api/v1/auth/password/reset/start")
    worker.run_until_idle()
    body = {"challenge_id": challenge, "code": last_code(app), "new_password": "Nw-pass-42"}
    wrong = client.post("/api/v1/auth/password/reset", json={**body, "id_number": "000000"})
    assert wrong.status_code == 400 and wrong.json()["code"] == "identity_check_failed"
    assert "000000" not in wrong.text
    clock.advance(timedelta(seconds=61))
    challenge = code_for(client, msisdn, "/api/v1/auth/password/reset/start")
    worker.run_until_idle()
    body = {"challenge_id": challenge, "code": last_code(app), "new_password": "Nw-pass-42"}
    done = client.post("/api/v1/auth/password/reset", json={**body, "id_number": HOLDER_ID[-6:]})
    assert done.status_code == 204, done.text
    agent = staff(app, Role.AGENT)
    precheck = client.post(
        "/api/v1/precheck",
        json={
            "msisdn": msisdn,
            "identity": [{"method": "service_password", "value": "Nw-pass-42"}],
        },
        headers=agent,
    )
    assert precheck.status_code == 200, precheck.text


def test_a_lost_lines_password_cannot_be_reset_by_code_only_in_a_store(
    app: App, client: TestClient
) -> None:
    msisdn = new_line(app, lost_reported=True)
    refused = client.post("/api/v1/auth/password/reset/start", json={"msisdn": msisdn})
    assert refused.status_code == 403 and refused.json()["code"] == "line_reported_lost"
    agent = staff(app, Role.AGENT, "store-7")
    body = {"msisdn": msisdn, "document_kind": "resident_id", "new_password": "St0re-pass"}
    unseen = client.post(
        "/api/v1/auth/password/store-reset", json={**body, "id_document_seen": False}, headers=agent
    )
    assert unseen.status_code == 422
    done = client.post(
        "/api/v1/auth/password/store-reset", json={**body, "id_document_seen": True}, headers=agent
    )
    assert done.status_code == 204, done.text
    with app.sessions() as session:
        entry = session.execute(
            select(models.AuditEntry).where(models.AuditEntry.action == "service_password.reset")
        ).scalar_one()
    assert entry.actor == "agent:store-7"
    assert entry.details["methods"] == ["id_document_seen"]
    assert entry.details["channel"] == "store"


def test_a_large_refund_needs_two_different_approvers(
    app: App, client: TestClient, worker: Worker
) -> None:
    msisdn = new_line(app, paid_credit_minor=80_000)  # CNY 800, above the cn CNY 500 threshold
    me = sign_in(client, app, worker, msisdn)
    submitted = client.post(
        "/api/v1/closure-requests",
        json={
            "msisdn": msisdn,
            "refund_account": "6222021234567890123",
            "alternate_contact": "me@example.org",
        },
        headers=me,
    )
    assert submitted.status_code == 201, submitted.text
    reference = submitted.json()["reference"]
    assert submitted.json()["status"] == "under_review"
    first, second = staff(app, Role.REVIEWER, "rev-a"), staff(app, Role.REVIEWER, "rev-b")
    url = f"/api/v1/closure-requests/{reference}/approve"
    once = client.post(url, json={}, headers=first)
    assert once.status_code == 200 and once.json()["status"] == "under_review"
    twice = client.post(url, json={}, headers=first)
    assert twice.status_code == 403 and twice.json()["code"] == "second_approver_required"
    done = client.post(url, json={}, headers=second)
    assert done.status_code == 200 and done.json()["status"] == "approved"
    with app.sessions() as session:
        commands = session.execute(
            select(models.RequestEvent.command, models.RequestEvent.actor)
            .join(models.ClosureRequest)
            .where(models.ClosureRequest.reference == reference)
            .order_by(models.RequestEvent.id)
        ).all()
    assert ("record_first_approval", "reviewer:rev-a") in commands
    assert ("approve", "reviewer:rev-b") in commands
