"""Kannel's callbacks (inbound SMS, delivery reports), readiness, metrics and request ids."""

from __future__ import annotations

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.services import sms_callbacks

SECRET = "kannel-shared-secret"
INBOUND = {
    "sender": "+8613900000009",
    "receiver": "10086",
    "text": "注销 CLOSE",
    "time": "1790000000",
}


def _with_secret(app: App) -> None:
    app.deps.settings.sms_callback_secret = SecretStr(SECRET)


def test_callbacks_refuse_every_call_while_no_secret_is_set(client: TestClient) -> None:
    answer = client.get("/api/v1/sms/inbound", params={**INBOUND, "secret": ""})

    assert answer.status_code == 503
    assert answer.json()["code"] == "sms_callbacks_disabled"


def test_callbacks_refuse_a_wrong_secret_and_store_nothing(app: App, client: TestClient) -> None:
    _with_secret(app)

    answer = client.get("/api/v1/sms/inbound", params={**INBOUND, "secret": "guess"})

    assert answer.status_code == 403
    assert answer.json()["code"] == "bad_callback_secret"
    with app.sessions() as session:
        assert session.execute(select(models.InboundSms)).first() is None


def test_an_inbound_sms_is_stored_with_its_text_encrypted(app: App, client: TestClient) -> None:
    _with_secret(app)

    answer = client.get("/api/v1/sms/inbound", params={**INBOUND, "secret": SECRET})
    posted = client.post(
        "/api/v1/sms/inbound",
        data={**INBOUND, "text": "second"},
        headers={"X-Lineclose-Secret": SECRET},
    )

    assert (answer.status_code, posted.status_code) == (202, 202)
    with app.sessions() as session:
        stored = list(session.execute(select(models.InboundSms)).scalars())
    assert [s.sender for s in stored] == ["+8613900000009", "+8613900000009"]
    assert INBOUND["text"] not in stored[0].text_enc
    assert app.deps.vault.decrypt(stored[0].text_enc) == INBOUND["text"]


def test_a_malformed_inbound_sms_is_refused(app: App, client: TestClient) -> None:
    _with_secret(app)

    answer = client.get("/api/v1/sms/inbound", params={"secret": SECRET, "sender": "1"})

    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid_inbound_sms"


def test_a_delivery_report_is_kept_once_however_often_kannel_repeats_it(
    app: App, client: TestClient
) -> None:
    _with_secret(app)
    params = {"secret": SECRET, "key": "5:notice:approved:9", "type": "1", "to": "+8613900000009"}

    answers = [client.get("/api/v1/sms/dlr", params=params).status_code for _ in range(2)]

    assert answers == [202, 202]
    with app.sessions() as session:
        kept = sms_callbacks.delivery_reports(session, "5:notice:approved:9")
    assert [r["status"] for r in kept] == ["delivered"]


def test_readiness_names_the_gateway_that_does_not_answer(app: App, client: TestClient) -> None:
    assert client.get("/readyz").status_code == 200

    app.deps.sms.down = True  # type: ignore[attr-defined]
    answer = client.get("/readyz")

    assert answer.status_code == 503
    assert answer.json()["failed"] == ["sms"]
    assert answer.json()["checks"]["database"] == "ok"


def test_metrics_report_closures_outbox_and_requests_in_prometheus_text(
    client: TestClient,
) -> None:
    client.get("/healthz")

    answer = client.get("/metrics")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    for name in (
        'lineclose_closure_requests{state="closed"} 0.0',
        "lineclose_outbox_pending 0.0",
        "lineclose_outbox_oldest_due_age_seconds",
        "lineclose_outbox_dead 0.0",
        "lineclose_outbox_uncertain 0.0",
        "lineclose_review_backlog 0.0",
        "lineclose_review_overdue 0.0",
        'lineclose_http_requests_total{method="GET",route="/healthz",status="200"} 1.0',
    ):
        assert name in text


def test_every_answer_carries_a_request_id_and_keeps_a_well_formed_one(
    client: TestClient,
) -> None:
    generated = client.get("/healthz").headers["X-Request-ID"]
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-1234.abc"})
    forged = client.get("/healthz", headers={"X-Request-ID": "a b\nc"})

    assert len(generated) == 32
    assert kept.headers["X-Request-ID"] == "lb-1234.abc"
    assert forged.headers["X-Request-ID"] != "a b\nc"
