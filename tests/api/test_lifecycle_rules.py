"""Rules of the lifecycle over HTTP: withdrawal, auto-approval, scheduling, escalation, bad input."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.ports.clock import FrozenClock
from lineclose.services.context import Role
from lineclose.worker.dispatcher import Worker
from tests.api.helpers import last_code, sign_in, staff
from tests.factories import HOLDER_ID, make_line, make_operator

AUTO = {"enabled": True, "identity_methods": ["otp"], "max_refund_minor": 10_000}


def new_line(
    app: App, profile: str = "cn", auto: dict[str, object] | None = None, **extra: object
) -> str:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, profile, auto_approval=auto or {})
        return make_line(session, app.deps, operator, **extra).msisdn


def submit(
    client: TestClient, headers: dict[str, str], msisdn: str, **extra: object
) -> dict[str, object]:
    body = {"msisdn": msisdn, "alternate_contact": "someone@example.org", **extra}
    response = client.post("/api/v1/closure-requests", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def counts(app: App) -> tuple[int, int, int]:
    with app.sessions() as session:
        return (
            session.execute(select(func.count(models.ClosureRequest.id))).scalar_one(),
            session.execute(select(func.count(models.OutboxRow.id))).scalar_one(),
            session.execute(select(func.count(models.AuditEntry.id))).scalar_one(),
        )


def test_a_clean_request_signed_in_by_code_closes_without_a_reviewer(
    app: App, client: TestClient, worker: Worker
) -> None:
    msisdn = new_line(app, auto=AUTO, paid_credit_minor=5_000, promo_credit_minor=700)
    me = sign_in(client, app, worker, msisdn)
    request = submit(client, me, msisdn, refund_account="6222020200112233445")
    assert request["status"] == "approved"
    assert request["history"][-1]["reason"]["auto_approved"][0] == "identity verified by otp"
    worker.run_until_idle()
    closed = client.get(f"/api/v1/closure-requests/{request['reference']}", headers=me).json()
    assert closed["status"] == "closed"
    assert closed["refund"]["amount_minor"] == 5_000
    assert closed["quote"]["forfeited_promo_credit_minor"] == 700


def test_a_refund_above_the_threshold_waits_for_a_reviewer(
    app: App, client: TestClient, worker: Worker
) -> None:
    msisdn = new_line(app, auto=AUTO, paid_credit_minor=50_000)
    me = sign_in(client, app, worker, msisdn)
    request = submit(client, me, msisdn, refund_account="6222020200112233445")
    assert request["status"] == "under_review"


def test_withdrawal_is_allowed_until_execution_and_refused_after(
    app: App, client: TestClient, worker: Worker
) -> None:
    reviewer = staff(app, Role.REVIEWER)
    first = new_line(app)
    me = sign_in(client, app, worker, first)
    request = submit(client, me, first)
    withdrawn = client.post(
        f"/api/v1/closure-requests/{request['reference']}/withdraw", json={}, headers=me
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"

    second = new_line(app)
    me2 = sign_in(client, app, worker, second)
    request = submit(client, me2, second)
    ref = request["reference"]
    assert (
        client.post(
            f"/api/v1/closure-requests/{ref}/approve", json={}, headers=reviewer
        ).status_code
        == 200
    )
    while (
        client.get(f"/api/v1/closure-requests/{ref}", headers=me2).json()["status"] != "executing"
    ):
        assert worker.run_one() == "done"  # up to begin_execution: the point of no return
    refused = client.post(f"/api/v1/closure-requests/{ref}/withdraw", json={}, headers=me2)
    assert refused.status_code == 409
    assert refused.json()["code"] == "transition_not_allowed"
    assert "point of no return" in refused.json()["detail"]
    worker.run_until_idle()
    assert client.get(f"/api/v1/closure-requests/{ref}", headers=me2).json()["status"] == "closed"


def test_a_withdrawn_approval_never_reaches_the_network(
    app: App, client: TestClient, worker: Worker
) -> None:
    reviewer = staff(app, Role.REVIEWER)
    msisdn = new_line(app)
    me = sign_in(client, app, worker, msisdn)
    ref = submit(client, me, msisdn)["reference"]
    client.post(f"/api/v1/closure-requests/{ref}/approve", json={}, headers=reviewer)
    client.post(f"/api/v1/closure-requests/{ref}/withdraw", json={}, headers=me)
    worker.run_until_idle()
    assert app.deps.hlr.effects.bar_calls == 0  # type: ignore[attr-defined]
    assert client.get(f"/api/v1/lines/{msisdn}", headers=me).json()["status"] == "active"


def test_a_closure_at_the_end_of_the_term_is_scheduled_and_starts_that_day(
    app: App, client: TestClient, worker: Worker, clock: FrozenClock
) -> None:
    reviewer = staff(app, Role.REVIEWER)
    msisdn = new_line(
        app,
        payment="postpaid",
        contract={
            "commitment_end": date(2026, 12, 31),
            "etf_rule": "fixed",
            "etf_fixed_minor": 9_900,
        },
    )
    me = sign_in(client, app, worker, msisdn)
    blocked = client.post("/api/v1/precheck", json={"msisdn": msisdn}, headers=me).json()
    remedies = {r["code"]: r for r in blocked["blockers"][0]["remedies"]}
    assert remedies["ACCEPT_ETF"]["amount_minor"] == 9_900
    assert remedies["SCHEDULE_AT_TERM_END"]["date"] == "2026-12-31"

    ref = submit(client, me, msisdn, schedule_at_term_end=True)["reference"]
    approved = client.post(
        f"/api/v1/closure-requests/{ref}/approve", json={}, headers=reviewer
    ).json()
    assert approved["status"] == "scheduled" and approved["scheduled_for"] == "2026-12-31"
    worker.run_until_idle()
    assert app.deps.hlr.effects.bar_calls == 0  # type: ignore[attr-defined]
    clock.set(clock.now() + timedelta(days=36))  # 31 December, Shanghai time
    worker.run_until_idle()
    done = client.get(f"/api/v1/closure-requests/{ref}", headers=reviewer).json()
    assert done["status"] == "closed"
    assert done["quote"]["early_termination_fee_included"] is False


def test_an_overdue_review_is_escalated_and_listed(
    app: App, client: TestClient, worker: Worker, clock: FrozenClock
) -> None:
    reviewer = staff(app, Role.REVIEWER)
    supervisor = staff(app, Role.SUPERVISOR, "supervisor-1")
    msisdn = new_line(app)
    me = sign_in(client, app, worker, msisdn)
    ref = submit(client, me, msisdn)["reference"]
    clock.advance(timedelta(days=2))  # Friday 27th: due today, not yet late
    worker.run_until_idle()
    assert client.get("/api/v1/escalations", headers=supervisor).json()["count"] == 0
    clock.advance(timedelta(days=3))  # Monday 30th
    worker.run_until_idle()
    listed = client.get("/api/v1/escalations", headers=supervisor).json()
    assert [i["reference"] for i in listed["items"]] == [ref]
    queue = client.get("/api/v1/closure-requests?overdue=true", headers=reviewer).json()
    assert queue["items"][0]["overdue"] is True


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"msisdn": "+8613999999999"}, 404, "unknown_line"),
        ({"msisdn": "12345"}, 422, "invalid_msisdn"),
        ({"requested_date": "2026-11-01"}, 422, "date_in_past"),
        ({"refund_account": "GB00NOTANIBAN"}, 422, "invalid_refund_account"),
        ({"alternate_contact": "not a contact"}, 422, "invalid_alternate_contact"),
        ({"acknowledged_bindings": [999999]}, 422, "unknown_binding"),
        ({"accept_etf": "perhaps"}, 422, "invalid_input"),
    ],
)
def test_bad_input_is_refused_with_a_clear_code_and_changes_nothing(
    app: App, client: TestClient, body: dict[str, object], status: int, code: str
) -> None:
    msisdn = new_line(app)
    agent = staff(app, Role.AGENT)
    before = counts(app)
    response = client.post(
        "/api/v1/closure-requests",
        json={
            "msisdn": msisdn,
            "identity": [{"method": "id_document_seen"}],
            "channel": "store",
            **body,
        },
        headers=agent,
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert counts(app) == before


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("/api/v1/precheck", {"msisdn": "+86 139 0000"}, "invalid_msisdn"),
        ("/api/v1/precheck", {"msisdn": "+8613999999999"}, "unknown_line"),
        ("/api/v1/precheck", {"requested_date": "2020-01-01"}, "date_in_past"),
    ],
)
def test_precheck_refuses_bad_input(
    app: App, client: TestClient, path: str, body: dict[str, object], code: str
) -> None:
    msisdn = new_line(app)
    response = client.post(path, json={"msisdn": msisdn, **body}, headers=staff(app, Role.AGENT))
    assert response.json()["code"] == code


def test_a_negative_payment_is_refused(app: App, client: TestClient) -> None:
    msisdn = new_line(app, unpaid_bills=[(1_000, date(2026, 11, 1))])
    agent = staff(app, Role.AGENT)
    bill = client.get(f"/api/v1/lines/{msisdn}", headers=agent).json()["bills"][0]
    response = client.post(
        f"/api/v1/lines/{msisdn}/bills/{bill['id']}/payments",
        json={"amount_minor": -1_000, "reference": "neg"},
        headers=agent,
    )
    assert response.status_code == 422
    assert client.get(f"/api/v1/lines/{msisdn}", headers=agent).json()["bills"][0]["paid"] is False


def test_a_subscriber_cannot_see_or_close_another_subscribers_line(
    app: App, client: TestClient, worker: Worker
) -> None:
    mine = new_line(app)
    theirs = new_line(app)
    me = sign_in(client, app, worker, mine)
    # Another holder's line answers as an unknown number would.
    assert client.get(f"/api/v1/lines/{theirs}", headers=me).status_code == 404
    assert client.post("/api/v1/precheck", json={"msisdn": theirs}, headers=me).status_code == 404
    refused = client.post("/api/v1/closure-requests", json={"msisdn": theirs}, headers=me)
    assert refused.status_code == 404
    assert client.get(f"/api/v1/lines/{mine}").status_code == 401


def test_no_one_can_approve_a_request_they_submitted(app: App, client: TestClient) -> None:
    msisdn = new_line(app)
    admin = staff(app, Role.ADMIN)
    body = {
        "msisdn": msisdn,
        "channel": "api",
        "alternate_contact": "x@example.org",
        "identity": [{"method": "service_password", "value": "s3cret-pass"}],
    }
    ref = client.post("/api/v1/closure-requests", json=body, headers=admin).json()["reference"]
    refused = client.post(f"/api/v1/closure-requests/{ref}/approve", json={}, headers=admin)
    assert refused.status_code == 403 and refused.json()["code"] == "four_eyes_required"


def test_a_wrong_service_password_is_refused_without_creating_a_request(
    app: App, client: TestClient
) -> None:
    msisdn = new_line(app)
    agent = staff(app, Role.AGENT)
    before = counts(app)
    response = client.post(
        "/api/v1/closure-requests",
        json={
            "msisdn": msisdn,
            "channel": "hotline",
            "identity": [{"method": "service_password", "value": "wrong"}],
        },
        headers=agent,
    )
    assert response.status_code == 400 and response.json()["code"] == "identity_check_failed"
    # No request and no message; only the audit of the failed check (counted toward a lock).
    assert counts(app) == (before[0], before[1], before[2] + 1)


def test_a_one_time_code_is_locked_after_the_allowed_attempts(
    app: App, client: TestClient, worker: Worker
) -> None:
    msisdn = new_line(app)
    started = client.post("/api/v1/auth/otp", json={"msisdn": msisdn}).json()
    worker.run_until_idle()
    right = last_code(app)
    wrong = "000000" if right != "000000" else "111111"
    answers = [
        client.post(
            "/api/v1/auth/otp/verify", json={"challenge_id": started["challenge_id"], "code": wrong}
        )
        for _ in range(app.deps.settings.otp_max_attempts)
    ]
    assert all(a.status_code == 400 for a in answers)
    late = client.post(
        "/api/v1/auth/otp/verify", json={"challenge_id": started["challenge_id"], "code": right}
    )
    assert late.status_code == 429


def test_a_line_without_identity_proof_needs_action(app: App, client: TestClient) -> None:
    msisdn = new_line(app)
    agent = staff(app, Role.AGENT)
    body = {"msisdn": msisdn, "channel": "hotline", "alternate_contact": "x@example.org"}
    request = client.post("/api/v1/closure-requests", json=body, headers=agent).json()
    assert request["status"] == "needs_action"
    assert [b["code"] for b in request["blockers"]] == ["IDENTITY_NOT_VERIFIED"]
    fixed = client.post(
        f"/api/v1/closure-requests/{request['reference']}/resubmit",
        json={"identity": [{"method": "id_number", "value": HOLDER_ID[-6:]}]},
        headers=agent,
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["status"] == "under_review"
    assert fixed.json()["identity_methods"] == ["id_number"]
