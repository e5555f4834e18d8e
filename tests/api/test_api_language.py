"""API answers speak the caller's language (Accept-Language) while their codes stay stable."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from lineclose.bootstrap import App
from lineclose.services.context import Role
from tests.api.helpers import staff
from tests.api.test_lifecycle_rules import new_line


def test_precheck_messages_and_quote_labels_follow_accept_language(
    app: App, client: TestClient
) -> None:
    msisdn = new_line(app, unpaid_bills=[(500, date(2026, 11, 1))])
    agent = staff(app, Role.AGENT)
    answers = {
        lang: client.post(
            "/api/v1/precheck",
            json={"msisdn": msisdn},
            headers={**agent, "Accept-Language": lang},
        ).json()
        for lang in ("zh-CN", "en-GB")
    }
    chinese, english = answers["zh-CN"], answers["en-GB"]
    assert [b["code"] for b in chinese["blockers"]] == [b["code"] for b in english["blockers"]]
    arrears = {
        lang: next(b for b in a["blockers"] if b["code"] == "ARREARS")
        for lang, a in answers.items()
    }
    assert arrears["zh-CN"]["message"] == "有1张未缴账单：请在注销前缴清。"  # noqa: RUF001
    assert arrears["zh-CN"]["title"] != arrears["en-GB"]["title"] == "Unpaid bills"
    assert arrears["en-GB"]["message"] == "1 unpaid bill: pay it before closing."  # no "(s)"
    assert chinese["quote"]["labels"]["total_charges_minor"] == "费用合计"
    assert english["quote"]["labels"]["total_charges_minor"] == "Total charges"
    assert chinese["quote"]["total_charges_minor"] == english["quote"]["total_charges_minor"]


def test_problem_details_follow_accept_language_and_keep_their_code(
    app: App, client: TestClient
) -> None:
    agent = staff(app, Role.AGENT)
    body = {"msisdn": "+8613999999999"}
    chinese = client.post(
        "/api/v1/precheck", json=body, headers={**agent, "Accept-Language": "zh-CN,en;q=0.5"}
    )
    english = client.post("/api/v1/precheck", json=body, headers=agent)
    assert chinese.status_code == english.status_code == 404
    assert chinese.json()["code"] == english.json()["code"] == "unknown_line"
    assert chinese.json()["detail"] == "未找到该号码。"
    assert chinese.headers["content-language"] == "zh-CN"
    assert english.json()["detail"].startswith("no line with number")
