"""The story a subscriber lives through, over HTTP, with the real worker."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.ports.clock import FrozenClock
from lineclose.services.context import Role
from lineclose.worker.dispatcher import Worker
from tests.api.helpers import sign_in, staff
from tests.factories import make_line, make_operator


def story_line(app: App) -> str:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn")
        line = make_line(
            session,
            app.deps,
            operator,
            payment="postpaid",
            monthly_fee_minor=3_000,
            paid_credit_minor=10_000,
            unpaid_bills=[(8_800, app.deps.clock.now().date() - timedelta(days=5))],
            bindings=[
                {
                    "service": "Alipay",
                    "category": "payment",
                    "notify_on_closure": True,
                    "notify_email": "numbers@alipay.example",
                },
                {"service": "WeChat Pay", "category": "payment"},
            ],
        )
        msisdn = line.msisdn
    return msisdn


def codes(body: dict[str, Any]) -> list[str]:
    return [b["code"] for b in body["blockers"]]


def test_subscriber_closes_a_line_from_precheck_to_an_aged_number(
    app: App, client: TestClient, worker: Worker, clock: FrozenClock
) -> None:
    msisdn = story_line(app)
    me = sign_in(client, app, worker, msisdn)
    reviewer = staff(app, Role.REVIEWER)

    first = client.post("/api/v1/precheck", json={"msisdn": msisdn}, headers=me).json()
    assert codes(first) == ["ARREARS", "BINDINGS_PRESENT"]
    arrears = first["blockers"][0]["remedies"][0]
    assert arrears == {"code": "PAY_ARREARS", "amount_minor": 8_800, "items": arrears["items"]}
    unbind = first["blockers"][1]["remedies"][0]
    assert [i["service"] for i in unbind["items"]] == ["Alipay", "WeChat Pay"]
    assert first["quote"]["review_due_on"] == "2026-11-27"

    bill_id = arrears["items"][0]["bill_id"]
    paid = client.post(
        f"/api/v1/lines/{msisdn}/bills/{bill_id}/payments",
        json={"amount_minor": 8_800, "reference": "pay-1"},
        headers=me,
    )
    assert paid.status_code == 201, paid.text
    for item in unbind["items"]:
        done = client.post(
            f"/api/v1/lines/{msisdn}/bindings/{item['binding_id']}/unbind", headers=me
        )
        assert done.status_code == 200

    assert codes(client.post("/api/v1/precheck", json={"msisdn": msisdn}, headers=me).json()) == []

    submitted = client.post(
        "/api/v1/closure-requests",
        json={
            "msisdn": msisdn,
            "refund_account": "6222020200112233445",
            "alternate_contact": "wang.fang@example.org",
        },
        headers={**me, "Idempotency-Key": "story-1"},
    )
    assert submitted.status_code == 201, submitted.text
    request = submitted.json()
    reference = request["reference"]
    assert request["status"] == "under_review"
    assert request["review_due_on"] == "2026-11-27"
    assert request["refund_account"] == "62*************3445"

    rejected = client.post(
        f"/api/v1/closure-requests/{reference}/reject",
        json={"reasons": [{"code": "REFUND_ACCOUNT_INVALID", "note": "account closed"}]},
        headers=reviewer,
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["rejection"]["reasons"][0]["remedy"] == "CORRECT_REFUND_ACCOUNT"

    resubmitted = client.post(
        f"/api/v1/closure-requests/{reference}/resubmit",
        json={"refund_account": "6222020200112233446"},
        headers=me,
    )
    assert resubmitted.status_code == 200, resubmitted.text
    assert resubmitted.json()["reference"] == reference
    assert resubmitted.json()["status"] == "under_review"

    approved = client.post(
        f"/api/v1/closure-requests/{reference}/approve", json={}, headers=reviewer
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"

    worker.run_until_idle()
    closed = client.get(f"/api/v1/closure-requests/{reference}", headers=me).json()
    assert closed["status"] == "closed"
    assert [h["to"] for h in closed["history"]] == [
        "submitted",
        "under_review",
        "rejected",
        "submitted",
        "under_review",
        "approved",
        "executing",
        "closed",
    ]
    # 3000 a month, 25 of 30 days of November used = 2500 charged; 10000 credit - 2500 refunded.
    assert closed["refund"] == {
        "amount_minor": 7_500,
        "currency": "CNY",
        "account": "62*************3446",
        "status": "instructed",
    }
    assert app.deps.hlr.lookup(closed_imsi(app, msisdn)).network_access == "none"  # type: ignore[union-attr]

    certificate = client.get(f"/api/v1/certificates/{closed['certificate_code']}")
    assert certificate.status_code == 200
    assert certificate.json()["masked_msisdn"] != msisdn
    assert msisdn not in certificate.text
    pdf = client.get(f"/api/v1/certificates/{closed['certificate_code']}/pdf", headers=me)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    emails = app.deps.email.sent  # type: ignore[attr-defined]
    assert {m.to for m in emails} == {"wang.fang@example.org", "numbers@alipay.example"}

    admin = staff(app, Role.ADMIN)
    number = client.get(f"/api/v1/numbers/{msisdn}", headers=admin).json()
    assert number["state"] == "aging"
    assert number["aging_until"] == "2027-02-23"

    clock.advance(timedelta(days=89))
    worker.run_until_idle()
    assert client.get(f"/api/v1/numbers/{msisdn}", headers=admin).json()["state"] == "aging"
    clock.advance(timedelta(days=1))
    worker.run_until_idle()
    assert client.get(f"/api/v1/numbers/{msisdn}", headers=admin).json()["state"] == "available"
    assert app.deps.hlr.lookup(closed_imsi(app, msisdn)) is None

    recycled = client.post(
        "/number-recycling/v0.2/check",
        json={"phoneNumber": msisdn, "specifiedDate": "2026-11-01"},
        headers=admin,
    )
    assert recycled.json() == {"phoneNumberRecycled": True}


def closed_imsi(app: App, msisdn: str) -> str:
    with app.sessions() as session:
        return session.execute(
            select(models.Line.imsi).where(models.Line.msisdn == msisdn)
        ).scalar_one()


def test_a_repeated_submit_with_the_same_idempotency_key_creates_one_request(
    app: App, client: TestClient, worker: Worker
) -> None:
    with app.sessions.begin() as session:
        msisdn = make_line(session, app.deps, make_operator(session, app.deps)).msisdn
    agent = staff(app, Role.AGENT)
    body = {
        "msisdn": msisdn,
        "channel": "store",
        "identity": [{"method": "id_document_seen"}],
        "alternate_contact": "+8613912345678",
    }
    first = client.post(
        "/api/v1/closure-requests", json=body, headers={**agent, "Idempotency-Key": "k-1"}
    )
    again = client.post(
        "/api/v1/closure-requests", json=body, headers={**agent, "Idempotency-Key": "k-1"}
    )
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["reference"] == again.json()["reference"]
    with app.sessions() as session:
        assert session.execute(select(func.count(models.ClosureRequest.id))).scalar_one() == 1
    changed = client.post(
        "/api/v1/closure-requests",
        json={**body, "channel": "hotline"},
        headers={**agent, "Idempotency-Key": "k-1"},
    )
    assert changed.status_code == 422
    assert changed.json()["code"] == "idempotency_key_reused"
