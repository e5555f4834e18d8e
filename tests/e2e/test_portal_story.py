"""A subscriber closes a line in the browser, from the checklist to the certificate, in both
languages; the certificate PDF renders and its verification page confirms it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Live, new_page, screenshots_dir, shot

TEXT = {
    "zh_CN": {
        "send": "获取验证码",
        "sign_in": "登录",
        "check": "检查能否注销",
        "unbind": "我已解绑",
        "submit": "提交注销申请",
        "ready": "该号码可以注销",
        "closed": "已注销",
        "download": "下载注销证明\uff08PDF\uff09",
        "genuine": "此注销证明真实有效",
        "wrong_code": "验证码错误",
        "bad_account": "退款账户无效",
    },
    "en": {
        "send": "Send me a code",
        "sign_in": "Sign in",
        "check": "Check this line for closure",
        "pay": "now",
        "submit": "Submit closure request",
        "ready": "Nothing blocks closing this line",
        "closed": "Closed",
        "download": "Download the certificate (PDF)",
        "genuine": "This closure certificate is genuine",
        "wrong_code": "The code is wrong",
        "bad_account": "The refund account is not valid",
    },
}


def sign_in(page: Any, live: Live, msisdn: str, words: dict[str, str]) -> None:
    page.goto(f"{live.url}/portal")
    page.get_by_label(re.compile("手机号码|Mobile number")).fill(msisdn)
    page.get_by_role("button", name=words["send"]).click()
    page.get_by_label(re.compile("短信验证码|One-time code")).fill("000000")
    page.get_by_role("button", name=words["sign_in"]).click()
    assert words["wrong_code"] in page.locator("[role=alert]").inner_text()
    page.get_by_label(re.compile("短信验证码|One-time code")).fill(live.last_code())
    page.get_by_role("button", name=words["sign_in"]).click()
    page.wait_for_url("**/portal/lines")


@pytest.mark.parametrize(
    ("locale", "msisdn"), [("zh_CN", "+8613800138004"), ("en", "+8613800138002")]
)
def test_subscriber_closes_a_line_from_checklist_to_certificate(
    live: Live, browser: Any, tmp_path: Path, locale: str, msisdn: str
) -> None:
    words = TEXT[locale]
    page = new_page(browser, "zh-CN" if locale == "zh_CN" else "en-GB")
    sign_in(page, live, msisdn, words)
    assert page.locator("html").get_attribute("lang") == ("zh-Hans" if locale == "zh_CN" else "en")
    page.get_by_role("link", name=words["check"]).click()
    shot(page, f"portal-checklist-{locale}")

    # Fix every blocker from the checklist itself.
    if locale == "zh_CN":
        while page.get_by_role("button", name=re.compile(words["unbind"])).count():
            page.get_by_role("button", name=re.compile(words["unbind"])).first.click()
    else:
        page.get_by_role("button", name=re.compile(r"Pay .* now")).click()
    assert words["ready"] in page.locator("#summary").inner_text()

    # A wrong refund account is refused and what was typed is kept.
    page.get_by_label(re.compile("退款账户|Refund account")).fill("12ab")
    page.get_by_label(re.compile("备用联系方式|Another way to reach you")).fill("me@example.org")
    page.locator("input[name=confirm]").check()
    page.get_by_role("button", name=words["submit"]).click()
    assert words["bad_account"] in page.locator("[role=alert]").inner_text()
    assert (
        page.get_by_label(re.compile("备用联系方式|Another way")).input_value() == "me@example.org"
    )

    page.get_by_label(re.compile("退款账户|Refund account")).fill("6222020200112233445")
    page.locator("input[name=confirm]").check()
    page.get_by_role("button", name=words["submit"]).click()
    page.wait_for_url("**/portal/requests/LC-*")
    reference = page.locator("#reference").inner_text()
    assert "6222020200112233445" not in page.content()

    live.run_worker()  # auto-approved: bar, settle, certificate
    page.reload()
    assert page.locator("#status").inner_text() == words["closed"]
    shot(page, f"portal-progress-{locale}")

    with page.expect_download() as download:
        page.get_by_role("link", name=words["download"]).click()
    pdf = tmp_path / f"{reference}.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-singlefile", str(pdf), str(tmp_path / "cert")],
            check=True,
        )
        png = tmp_path / "cert.png"
        assert png.stat().st_size > 10_000
        shutil.copyfile(png, screenshots_dir() / f"e2e-certificate-{locale}.png")

    code = page.locator("#certificate-code").inner_text()
    page.goto(f"{live.url}/verify/{code}")
    body = page.locator("main").inner_text()
    assert words["genuine"] in body
    assert reference in body
    assert msisdn not in body and msisdn[-4:] in body  # only the masked number
    shot(page, f"verify-{locale}")


def test_language_switch_sticks_across_pages(live: Live, browser: Any) -> None:
    page = new_page(browser, "zh-CN")
    page.goto(f"{live.url}/help")
    assert page.get_by_role("heading", level=1).inner_text() == "号码注销常见问题"
    page.get_by_role("link", name="English").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Closing a line: common questions"
    page.goto(f"{live.url}/portal")
    assert page.get_by_role("button", name="Send me a code").is_visible()


def test_unknown_certificate_code_is_refused_plainly(live: Live, browser: Any) -> None:
    page = new_page(browser, "en-GB", width=390)
    response = page.goto(f"{live.url}/verify/NOSUCHCODE")
    assert response is not None and response.status == 404
    assert "No certificate has this verification code" in page.locator("[role=alert]").inner_text()
