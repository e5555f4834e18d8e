"""Staff in the console: an agent closes a line for a hotline caller, a reviewer decides, and a
rejected subscriber resubmits on the same reference with the reason in front of them."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import Live, new_page, shot
from tests.e2e.test_portal_story import TEXT, sign_in


def staff_sign_in(page: Any, live: Live, role: str) -> None:
    page.goto(f"{live.url}/console")
    page.get_by_label("Staff token").fill("lcs_not-a-token")
    page.get_by_role("button", name="Sign in").click()
    assert "unknown or revoked" in page.locator("[role=alert]").inner_text()
    page.get_by_label("Staff token").fill(live.tokens[role])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/console/(queue|search)$"))


def test_agent_closes_a_line_for_a_hotline_caller(live: Live, browser: Any) -> None:
    agent = new_page(browser, "en-GB")
    staff_sign_in(agent, live, "agent")
    agent.get_by_label("Find a line").fill("CD654321A")  # the caller's ID number
    agent.get_by_role("button", name="Search").click()
    assert "CD654321A" not in agent.content()  # found by its keyed hash, never shown
    agent.get_by_role("link", name=re.compile(r"\+447\*+3457")).click()

    agent.get_by_label("Hotline").check()
    agent.get_by_label("ID number", exact=True).check()
    agent.get_by_label("What the caller gave").fill("ZZ999999Z")
    agent.get_by_role("button", name="Verify identity and recheck").click()
    assert "identity check failed" in agent.locator("[role=alert]").inner_text()

    agent.get_by_label("ID number", exact=True).check()
    agent.get_by_label("What the caller gave").fill("CD654321A")
    agent.get_by_role("button", name="Verify identity and recheck").click()
    assert "Identity verified by: ID number" in agent.locator("[role=status]").inner_text()

    # The check is remembered on the server: the submit does not ask for the ID number again.
    assert agent.get_by_label("What the caller gave").input_value() == ""
    agent.get_by_label("Refund account").fill("GB82WEST12345698765432")
    agent.get_by_label("Alternate contact").fill("sam@example.org")
    agent.get_by_role("button", name="Submit on the subscriber's behalf").click()
    agent.wait_for_url("**/console/requests/LC-*")
    reference = agent.get_by_role("heading", level=1).inner_text().split()[-1]
    assert agent.locator("#status").inner_text() == "Under review"
    assert "Hotline" in agent.locator("main").inner_text()
    assert "GB82WEST12345698765432" not in agent.content()

    reviewer = new_page(browser, "zh-CN")
    staff_sign_in_zh(reviewer, live)
    shot(reviewer, "console-queue-zh_CN")
    reviewer.get_by_role("link", name=reference).click()
    shot(reviewer, "console-request-zh_CN")
    reviewer.get_by_role("button", name="通过").click()
    assert "申请已通过" in reviewer.locator("[role=status]").inner_text()
    live.run_worker()
    reviewer.reload()
    assert reviewer.locator("#status").inner_text() == "已注销"
    trail = reviewer.locator("main").inner_text()
    assert "已通过" in trail and "request.approve" not in trail  # the audit trail, in Chinese


def staff_sign_in_zh(page: Any, live: Live) -> None:
    page.goto(f"{live.url}/console")
    page.get_by_label("员工令牌").fill(live.tokens["reviewer"])
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/console/(queue|search)$"))


def test_reviewer_rejects_and_subscriber_resubmits(live: Live, browser: Any) -> None:
    words = TEXT["en"]
    subscriber = new_page(browser, "en-GB", width=390)
    sign_in(subscriber, live, "+447911123456", words)
    subscriber.get_by_role("link", name=words["check"]).click()
    subscriber.get_by_label("Another way to reach you").fill("alex@example.org")
    subscriber.locator("input[name=confirm]").check()
    subscriber.get_by_role("button", name=words["submit"]).click()
    subscriber.wait_for_url("**/portal/requests/LC-*")
    reference = subscriber.locator("#reference").inner_text()
    assert subscriber.locator("#status").inner_text() == "Under review"
    shot(subscriber, "portal-progress-phone-en")

    reviewer = new_page(browser, "en-GB")
    staff_sign_in(reviewer, live, "reviewer")
    shot(reviewer, "console-queue-en")
    reviewer.get_by_role("link", name=reference).click()
    reviewer.get_by_role("button", name="Reject").click()
    assert "Choose at least one reason" in reviewer.locator("[role=alert]").inner_text()
    reviewer.get_by_label("The identity details did not match the holder's.").check()
    reviewer.get_by_label("Note", exact=True).fill("Please sign in again from the phone itself.")
    reviewer.get_by_role("button", name="Reject").click()
    assert reviewer.locator("#status").inner_text() == "Not approved"
    shot(reviewer, "console-request-en")

    subscriber.reload()
    body = subscriber.locator("main").inner_text()
    assert "The identity details did not match the holder's." in body
    assert "Please sign in again from the phone itself." in body
    subscriber.get_by_role("button", name="Resubmit").click()
    assert subscriber.locator("#status").inner_text() == "Under review"
    assert subscriber.locator("#reference").inner_text() == reference
