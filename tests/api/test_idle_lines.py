"""Idle-line reminders: who is reminded, how often, what they are told, and what staff see."""
# ruff: noqa: RUF001 - Chinese replies use full-width punctuation

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.db.models_channels import IdleReminder
from lineclose.ports.clock import FrozenClock
from lineclose.services.closure import ClosureInput, submit
from lineclose.services.context import SYSTEM_ACTOR, Actor, Channel, Role
from lineclose.services.idle.sweep import sweep
from lineclose.services.sms_keywords.channel import set_short_code
from lineclose.worker.dispatcher import Worker
from tests.api.helpers import staff
from tests.factories import make_line, make_operator

# START is 25 November 2026: the cn profile calls a line idle after 3 months without use.
IDLE_SINCE = date(2026, 7, 10)


def _line(app: App, operator: models.Operator, **values: object) -> str:
    last_usage_on = values.pop("last_usage_on", IDLE_SINCE)
    with app.sessions.begin() as session:
        line = make_line(
            session,
            app.deps,
            session.merge(operator),
            payment=values.pop("payment", "postpaid"),
            monthly_fee_minor=values.pop("monthly_fee_minor", 5_800),
            **values,
        )
        line.last_usage_on = last_usage_on  # type: ignore[assignment]
        return line.msisdn


def _operator(app: App) -> models.Operator:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn", name="Demo Mobile")
        set_short_code(session, app.deps, SYSTEM_ACTOR, operator.code, "10086")
        return operator


def _sms_to(app: App, msisdn: str) -> list[str]:
    return [m.text for m in app.deps.sms.sent_to(msisdn)]  # type: ignore[attr-defined]


def test_an_idle_line_is_reminded_once_per_period_by_sms_and_email(
    app: App, worker: Worker, clock: FrozenClock
) -> None:
    operator = _operator(app)
    msisdn = _line(app, operator, email="fang@example.org", unpaid_bills=[(8_800, IDLE_SINCE)])

    worker.run_until_idle()
    worker.run_until_idle()

    (text,) = _sms_to(app, msisdn)
    assert "自2026年7月10日起未使用" in text
    assert "每月仍需支付¥58.00" in text
    assert "发送注销到10086" in text and "/portal/lines/" in text
    assert "- 未缴账单：¥88.00" in text
    assert "发送退订即可不再接收此类提醒" in text
    (mail,) = app.deps.email.sent  # type: ignore[attr-defined]
    assert mail.to == "fang@example.org" and "¥58.00" in mail.subject

    clock.advance(timedelta(days=70))  # into the next three-month period
    worker.run_until_idle()
    assert len(_sms_to(app, msisdn)) == 2


def test_lines_in_use_free_stopped_or_closing_are_not_reminded(
    app: App, client: TestClient, worker: Worker
) -> None:
    operator = _operator(app)
    recent = _line(app, operator, last_usage_on=date(2026, 10, 1))
    unknown = _line(app, operator, last_usage_on=None)
    free = _line(app, operator, payment="prepaid", monthly_fee_minor=0)
    stopped = _line(app, operator)
    closing = _line(app, operator)
    reminded = _line(app, operator)
    app.deps.settings.sms_callback_secret = SecretStr("s")
    client.get(
        "/api/v1/sms/inbound",
        params={"sender": stopped, "receiver": "10086", "text": "退订", "secret": "s"},
    )
    agent = Actor(Role.AGENT, "a", Channel.STORE)
    with app.sessions.begin() as session:
        submit(session, app.deps, agent, closing, ClosureInput())

    worker.run_until_idle()

    assert len(_sms_to(app, reminded)) == 1
    for number in (recent, unknown, free, closing):
        assert not any("未使用" in t for t in _sms_to(app, number)), number
    assert [t for t in _sms_to(app, stopped) if "未使用" in t] == []


def test_staff_see_idle_lines_with_the_money_at_stake(
    app: App, client: TestClient, worker: Worker
) -> None:
    operator = _operator(app)
    _line(app, operator)
    _line(app, operator, monthly_fee_minor=12_800, last_usage_on=date(2026, 1, 5))
    _line(app, operator, last_usage_on=date(2026, 11, 1))

    answer = client.get("/api/v1/idle-lines", headers=staff(app, Role.AGENT))
    assert answer.status_code == 200, answer.text
    body = answer.json()

    assert [(v["monthly_fee_minor"], v["months_idle"]) for v in body["lines"]] == [
        (12_800, 10),
        (5_800, 4),
    ]
    assert body["lines"][0]["paid_while_idle_minor"] == 128_000
    assert body["lines"][0]["msisdn"].count("*") >= 4
    assert body["totals"] == [
        {"currency": "CNY", "lines": 2, "monthly_minor": 18_600, "paid_while_idle_minor": 151_200}
    ]
    assert client.get("/api/v1/idle-lines").status_code == 401


def test_a_sweep_reminds_the_longest_idle_lines_first(app: App, clock: FrozenClock) -> None:
    operator = _operator(app)
    recent = _line(app, operator, last_usage_on=IDLE_SINCE)
    oldest = _line(app, operator, last_usage_on=IDLE_SINCE - timedelta(days=60))
    older = _line(app, operator, last_usage_on=IDLE_SINCE - timedelta(days=30))

    reminded = []
    for _ in range(3):
        with app.sessions.begin() as session:
            assert sweep(session, app.deps, batch=1).reminded == 1
            reminded.append(
                session.execute(
                    select(models.Line.msisdn)
                    .join(IdleReminder, IdleReminder.line_id == models.Line.id)
                    .order_by(IdleReminder.id.desc())
                    .limit(1)
                ).scalar_one()
            )
    assert reminded == [oldest, older, recent]
