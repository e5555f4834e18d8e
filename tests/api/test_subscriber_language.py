"""The subscriber's language is chosen once and followed by every message to them; needs-action
and rejection SMS say the reason and the remedy in words, never a raw code."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.ports.clock import FrozenClock
from lineclose.services.context import Role
from lineclose.worker.dispatcher import Worker
from tests.api.helpers import sign_in, staff
from tests.api.test_lifecycle_rules import AUTO, new_line, submit

CODES = ("ARREARS", "BINDINGS_PRESENT", "ID_MISMATCH", "VERIFY_IDENTITY", "PAY_ARREARS")


def texts_to(app: App, msisdn: str) -> list[str]:
    return [m.text for m in app.deps.sms.sent_to(msisdn)]  # type: ignore[attr-defined]


def test_the_language_chosen_in_the_portal_is_stored_and_followed_by_sms(
    app: App, client: TestClient, worker: Worker
) -> None:
    msisdn = new_line(app, unpaid_bills=[(500, date(2026, 11, 1))])
    me = sign_in(client, app, worker, msisdn)
    assert "验证码" in texts_to(app, msisdn)[-1]  # before any choice: the operator's language
    portal_cookie = me["Authorization"].removeprefix("Bearer ")
    client.cookies.set("lc_session", portal_cookie)
    switched = client.get("/lang/en?next=/portal/lines", follow_redirects=False)
    assert switched.status_code in (302, 303)
    with app.sessions() as session:
        languages = session.execute(select(models.Subscriber.language)).scalars().all()
    assert languages == ["en"]

    submit(client, me, msisdn)
    worker.run_until_idle()
    needs_action = texts_to(app, msisdn)[-1]
    assert "needs your action" in needs_action and "pay the unpaid bills" in needs_action
    assert not [code for code in CODES if code in needs_action]


def test_a_rejection_sms_gives_the_reason_and_the_remedy_in_words(
    app: App, client: TestClient, worker: Worker
) -> None:
    msisdn = new_line(app)
    me = sign_in(client, app, worker, msisdn)
    reference = submit(client, me, msisdn)["reference"]
    rejected = client.post(
        f"/api/v1/closure-requests/{reference}/reject",
        json={"reasons": [{"code": "ID_MISMATCH", "note": "name differs"}]},
        headers=staff(app, Role.REVIEWER),
    )
    assert rejected.status_code == 200, rejected.text
    worker.run_until_idle()
    sms = texts_to(app, msisdn)[-1]
    assert reference in sms
    assert "身份信息与机主信息不符" in sms  # the reason, in the holder's Chinese
    assert "请核对信息后重新提交" in sms  # and its remedy
    assert not [code for code in CODES if code in sms]


def test_a_subscriber_chooses_the_language_over_the_api_and_codes_follow_it(
    app: App, client: TestClient, worker: Worker, clock: FrozenClock
) -> None:
    msisdn = new_line(app)
    me = sign_in(client, app, worker, msisdn)
    refused = client.put("/api/v1/me/language", json={"language": "fr"}, headers=me)
    assert refused.status_code == 422
    chosen = client.put("/api/v1/me/language", json={"language": "en"}, headers=me)
    assert chosen.status_code == 200 and chosen.json() == {"language": "en"}
    staff_tried = client.put(
        "/api/v1/me/language", json={"language": "en"}, headers=staff(app, Role.AGENT)
    )
    assert staff_tried.status_code == 403
    clock.advance(timedelta(minutes=2))  # past the resend pause
    sign_in(client, app, worker, msisdn)
    assert texts_to(app, msisdn)[-1].startswith("Your ")  # the code SMS, now in English


def test_the_certificate_is_issued_in_the_subscribers_chosen_language(
    app: App, client: TestClient, worker: Worker
) -> None:
    msisdn = new_line(app, auto=AUTO)  # a Chinese operator that approves clean requests at once
    me = sign_in(client, app, worker, msisdn)
    assert client.put("/api/v1/me/language", json={"language": "en"}, headers=me).status_code == 200
    reference = submit(client, me, msisdn)["reference"]
    worker.run_until_idle()
    with app.sessions() as session:
        request = session.execute(
            select(models.ClosureRequest).where(models.ClosureRequest.reference == reference)
        ).scalar_one()
        assert request.status == "closed"
        certificate = session.execute(select(models.Certificate)).scalar_one()
        assert certificate.content["locale"] == "en"
    closed_notice = [m for m in app.deps.email.sent if m.to == "someone@example.org"]  # type: ignore[attr-defined]
    assert closed_notice and "has been closed" in closed_notice[-1].body
