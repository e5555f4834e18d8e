# ruff: noqa: RUF001 - Chinese replies use full-width punctuation
"""SMS keywords through the gateway callback: INFO, CLOSE, CLOSE <code>, STOP, unknown words,
numbers not served, rate limits, audit, exactly-once replies through the outbox."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.db.models_channels import SmsOptOut
from lineclose.ports.clock import FrozenClock
from lineclose.services.context import SYSTEM_ACTOR
from lineclose.services.sms_keywords.channel import set_short_code
from lineclose.worker.dispatcher import Worker
from tests.factories import make_line, make_operator

SECRET = "kannel-shared-secret"


@pytest.fixture
def texting(app: App) -> App:
    app.deps.settings.sms_callback_secret = SecretStr(SECRET)
    return app


def _operator_with_lines(app: App, profile: str = "cn", code: str = "10086", **line: object) -> str:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, profile)
        made = make_line(session, app.deps, operator, **line)
        set_short_code(session, app.deps, SYSTEM_ACTOR, operator.code, code)
        return made.msisdn


def _text(client: TestClient, sender: str, text: str, receiver: str = "10086") -> None:
    answer = client.get(
        "/api/v1/sms/inbound",
        params={"sender": sender, "receiver": receiver, "text": text, "secret": SECRET},
    )
    assert answer.status_code == 202, answer.text


def _replies(app: App, worker: Worker, to: str) -> list[str]:
    worker.run_until_idle()
    return [m.text for m in app.deps.sms.sent_to(to)]  # type: ignore[attr-defined]


def test_info_answers_contract_end_fee_refund_and_blockers_in_chinese(
    texting: App, client: TestClient, worker: Worker
) -> None:
    msisdn = _operator_with_lines(
        texting,
        payment="postpaid",
        monthly_fee_minor=5_800,
        unpaid_bills=[(8_800, date(2026, 11, 1))],
        contract={
            "commitment_end": date(2027, 6, 30),
            "etf_rule": "fixed",
            "etf_fixed_minor": 20_000,
        },
    )

    _text(client, msisdn, "查询")

    (reply,) = _replies(texting, worker, msisdn)
    assert "合约到期日：2027年6月30日" in reply
    assert "今日注销需付违约金：¥200.00" in reply
    assert "可退余额" in reply
    assert "- 未缴账单：¥88.00" in reply
    assert "- 合约期至2027年6月30日" in reply
    assert "尚需确认" not in reply  # the text itself proves possession for INFO
    assert reply.endswith("发送注销到10086即可申请注销。")


def test_close_from_a_line_whose_profile_needs_a_second_factor_sends_a_code_then_confirms(
    texting: App, client: TestClient, worker: Worker
) -> None:
    msisdn = _operator_with_lines(texting)

    _text(client, msisdn, "注销")
    (first,) = _replies(texting, worker, msisdn)[-1:]
    reference = re.search(r"LC-\d{4}-[0-9A-Z]{5}-[0-9A-Z]{5}", first)
    code = re.search(r"注销 (\d{6})", first)
    assert reference and code, first
    assert "需要您处理" in first and "尚需确认是您本人" in first
    assert "/portal/lines/" in first
    with texting.sessions() as session:
        request = session.execute(select(models.ClosureRequest)).scalar_one()
        assert request.channel == "sms"
        assert request.status == "needs_action"
        assert request.identity_methods == []
        evidence = session.execute(
            select(models.AuditEntry).where(models.AuditEntry.action == "request.identity_evidence")
        ).scalar_one()
        assert evidence.details == {"method": "sms_origin", "accepted_alone": False}

    _text(client, msisdn, "注销 000000" if code.group(1) != "000000" else "注销 111111")
    assert "验证码错误" in _replies(texting, worker, msisdn)[-1]
    _text(client, msisdn, f"注销 {code.group(1)}")

    confirmed = _replies(texting, worker, msisdn)[-1]
    assert reference.group(0) in confirmed
    with texting.sessions() as session:
        request = session.execute(select(models.ClosureRequest)).scalar_one()
        assert request.status in ("under_review", "approved", "executing", "closed")
        assert "otp" in request.identity_methods
    _text(client, msisdn, f"注销 {code.group(1)}")  # a used code confirms nothing
    assert "验证码错误" in _replies(texting, worker, msisdn)[-1]


def test_a_confirmation_code_expires(
    texting: App, client: TestClient, worker: Worker, clock: FrozenClock
) -> None:
    msisdn = _operator_with_lines(texting)
    _text(client, msisdn, "CLOSE")
    code = re.search(r"“注销 (\d{6})”", _replies(texting, worker, msisdn)[-1])
    assert code

    clock.advance(timedelta(seconds=texting.deps.settings.otp_ttl_seconds + 1))
    _text(client, msisdn, f"CLOSE {code.group(1)}")

    assert "验证码错误或已过期" in _replies(texting, worker, msisdn)[-1]
    with texting.sessions() as session:
        assert session.execute(select(models.ClosureRequest.status)).scalar_one() == "needs_action"


def test_where_the_profile_accepts_a_text_alone_close_goes_straight_to_review(
    texting: App, client: TestClient, worker: Worker
) -> None:
    msisdn = _operator_with_lines(texting, profile="uk", code="85075")

    _text(client, msisdn, "close", receiver="85075")

    reply = _replies(texting, worker, msisdn)[-1]
    assert "Status: under review" in reply
    assert "reply CLOSE" not in reply
    with texting.sessions() as session:
        request = session.execute(select(models.ClosureRequest)).scalar_one()
        assert request.status == "under_review"
        assert request.identity_methods == ["sms_origin"]


def test_unknown_words_get_the_keyword_list_and_stop_opts_out(
    texting: App, client: TestClient, worker: Worker
) -> None:
    msisdn = _operator_with_lines(texting, profile="uk", code="85075")

    _text(client, msisdn, "hello there", receiver="85075")
    _text(client, msisdn, "STOP", receiver="85075")

    unknown, stopped = _replies(texting, worker, msisdn)
    assert unknown == "Text one of: INFO, CLOSE, STOP"
    assert "no more reminders" in stopped
    with texting.sessions() as session:
        assert session.execute(select(func.count()).select_from(SmsOptOut)).scalar_one() == 1


def test_a_number_not_served_gets_nothing_but_the_text_is_kept_and_audited(
    texting: App, client: TestClient, worker: Worker
) -> None:
    _operator_with_lines(texting)

    _text(client, "+8613999999999", "查询")
    _text(client, "+8613999999998", "查询", receiver="99999")

    worker.run_until_idle()
    assert texting.deps.sms.sent == []  # type: ignore[attr-defined]
    with texting.sessions() as session:
        assert (
            session.execute(select(func.count()).select_from(models.InboundSms)).scalar_one() == 2
        )
        outcomes = session.execute(
            select(models.AuditEntry.details).where(models.AuditEntry.action == "sms.inbound")
        ).scalars()
        assert [d["outcome"] for d in outcomes] == ["not_served", "not_served"]


def test_replies_are_rate_limited_per_sender_and_each_reply_is_sent_once_and_audited(
    texting: App, client: TestClient, worker: Worker
) -> None:
    texting.deps.settings.sms_replies_per_hour = 2
    msisdn = _operator_with_lines(texting)

    for _ in range(4):
        _text(client, msisdn, "查询")
    worker.run_until_idle()
    worker.run_until_idle()

    assert len(_replies(texting, worker, msisdn)) == 2
    with texting.sessions() as session:
        actions = list(
            session.execute(
                select(models.AuditEntry.action).where(models.AuditEntry.action.like("sms.%"))
            ).scalars()
        )
    assert actions.count("sms.inbound") == 4
    assert actions.count("sms.reply") == 2
    assert actions.count("sms.reply_withheld") == 2


def test_a_text_the_gateway_hands_over_twice_is_answered_once(
    texting: App, client: TestClient, worker: Worker
) -> None:
    msisdn = _operator_with_lines(texting)
    params = {"sender": msisdn, "receiver": "10086", "text": "查询", "id": "k-42", "secret": SECRET}

    first = client.get("/api/v1/sms/inbound", params=params)
    again = client.get("/api/v1/sms/inbound", params=params)

    assert (first.status_code, again.status_code) == (202, 202)
    assert len(_replies(texting, worker, msisdn)) == 1
