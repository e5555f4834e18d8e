"""Proving who asks, in the browser: a forgotten service password reset by code and ID number,
the store path for a lost line, sign-out that revokes the session, and a large refund that
takes two reviewers."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import select

from lineclose.db import models
from lineclose.domain.facts import IdentityMethod
from lineclose.security.secrets_hashing import verify_password
from lineclose.services import closure
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.identity import IdentityEvidence, create_staff_token
from lineclose.services.lines import find_line
from lineclose.services.provisioning import LineSpec, add_line
from lineclose.services.seed import cn_id_number, iccid, register_lines_in_hlr
from tests.conftest import START
from tests.e2e.conftest import Live, new_page, shot
from tests.e2e.test_portal_story import TEXT, sign_in

FORGOT = "No access to the line, or forgot your service password?"


def _password_matches(live: Live, msisdn: str, password: str) -> bool:
    with live.app.sessions() as session:
        stored = find_line(session, msisdn).subscriber.service_password_hash
        return stored is not None and verify_password(stored, password)


def staff_sign_in(page: Any, live: Live, token: str) -> None:
    page.goto(f"{live.url}/console")
    page.get_by_label(re.compile("Staff token|员工令牌")).fill(token)
    page.get_by_role("button", name=re.compile("Sign in|登录")).click()
    page.wait_for_url(re.compile(r"/console/(queue|search)$"))


def test_forgotten_password_is_reset_with_a_code_and_the_last_six_of_the_id(
    live: Live, browser: Any
) -> None:
    msisdn = "+8613800138001"
    holder_id = cn_id_number("110105", date(1985, 3, 2), 101)
    page = new_page(browser, "en-GB", width=390)
    page.goto(f"{live.url}/portal")
    page.get_by_role("link", name=FORGOT).click()
    page.get_by_label("Mobile number").fill(msisdn)
    page.get_by_role("button", name="Send me a code").click()
    page.wait_for_url("**/portal/password/new")
    assert "last six characters" in page.locator("#id-hint").inner_text()

    code = live.last_code()
    page.get_by_label("One-time code").fill(code)
    page.get_by_label("ID number of the holder").fill(holder_id[-6:])
    page.get_by_label("New service password", exact=True).fill("135790")
    page.get_by_label("New service password again").fill("135791")
    page.get_by_role("button", name="Set the new password").click()
    assert "not the same" in page.locator("[role=alert]").inner_text()
    # What was typed stays, except the secrets: the ID number and the passwords.
    assert page.get_by_label("One-time code").input_value() == code
    assert page.get_by_label("ID number of the holder").input_value() == ""
    assert page.get_by_label("New service password", exact=True).input_value() == ""
    assert holder_id[-6:] not in page.content() and "135790" not in page.content()

    page.get_by_label("ID number of the holder").fill(holder_id[-6:])
    page.get_by_label("New service password", exact=True).fill("135790")
    page.get_by_label("New service password again").fill("135790")
    shot(page, "portal-password-reset-en")
    page.get_by_role("button", name="Set the new password").click()
    page.wait_for_url("**/portal?done=password")
    assert "service password is changed" in page.locator("[role=status]").inner_text()
    assert _password_matches(live, msisdn, "135790")


def test_lost_line_is_sent_to_a_store_where_an_agent_resets_the_password(
    live: Live, browser: Any
) -> None:
    msisdn = "+8613800138005"
    page = new_page(browser, "zh-CN")
    page.goto(f"{live.url}/portal/password")
    page.get_by_label("手机号码").fill(msisdn)
    with page.expect_response(lambda r: r.url.endswith("/portal/password")) as answer:
        page.get_by_role("button", name="获取验证码").click()
    assert answer.value.status == 403
    assert "营业厅" in page.locator("[role=alert]").inner_text()
    assert page.get_by_label("手机号码").input_value() == msisdn
    shot(page, "portal-password-lost-zh_CN")

    with live.app.sessions() as session:
        line_id = find_line(session, msisdn).id
    agent = new_page(browser, "en-GB")
    staff_sign_in(agent, live, live.tokens["agent"])
    agent.goto(f"{live.url}/console/lines/{line_id}")
    assert agent.locator("#lost").inner_text() == "Reported lost"
    reset = agent.locator("#store-reset")
    reset.get_by_label("New service password (typed by the holder)").fill("864200")
    reset.get_by_label("New service password again").fill("864200")
    agent.get_by_role("button", name="Reset the service password").click()
    assert "tick the box" in agent.locator("#store-reset [role=alert]").inner_text()

    reset = agent.locator("#store-reset")
    reset.get_by_label(re.compile("original ID document")).check()
    reset.get_by_label("Document seen").select_option("resident_id_card")
    reset.get_by_label("New service password (typed by the holder)").fill("864200")
    reset.get_by_label("New service password again").fill("864200")
    agent.get_by_role("button", name="Reset the service password").click()
    assert "service password is reset" in agent.locator("[role=status]").inner_text()
    assert _password_matches(live, msisdn, "864200")


def test_sign_out_revokes_the_session_and_a_signed_in_holder_changes_the_password(
    live: Live, browser: Any
) -> None:
    words = TEXT["en"]
    msisdn = "+8613800138003"
    page = new_page(browser, "en-GB")
    sign_in(page, live, msisdn, words)
    page.get_by_role("link", name="Service password").click()
    page.get_by_label("Current service password").fill("111111-wrong")
    page.get_by_label("New service password", exact=True).fill("975310")
    page.get_by_label("New service password again").fill("975310")
    page.get_by_role("button", name="Save the service password").click()
    assert "identity check failed" in page.locator("[role=alert]").inner_text()
    page.get_by_label("Current service password").fill("246810")
    page.get_by_label("New service password", exact=True).fill("975310")
    page.get_by_label("New service password again").fill("975310")
    page.get_by_role("button", name="Save the service password").click()
    assert "saved" in page.locator("[role=status]").inner_text()
    assert _password_matches(live, msisdn, "975310")

    cookies = page.context.cookies()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r".*/portal$"))
    copied = new_page(browser, "en-GB")
    copied.context.add_cookies(cookies)  # the cookie as it was before signing out
    copied.goto(f"{live.url}/portal/lines")
    assert copied.url.endswith("/portal")

    # One code a minute per line: asking again at once is refused with the wait, not a raw 429.
    copied.get_by_label("Mobile number").fill(msisdn)
    with copied.expect_response(lambda r: r.url.endswith("/portal/sign-in")) as answer:
        copied.get_by_role("button", name="Send me a code").click()
    assert answer.value.status == 429 and answer.value.headers["retry-after"].isdigit()
    assert re.search(r"Please wait \d+ (seconds?|minutes?) and try again", copied.content())


def _large_refund_under_review(live: Live) -> str:
    """A CN prepaid line holding CNY 800 (above the CNY 500 second-approval threshold),
    submitted in a store, so it waits for review."""
    with live.app.sessions.begin() as session:
        operator = session.execute(
            select(models.Operator).where(models.Operator.code == "demo-cn")
        ).scalar_one()
        spec = LineSpec(
            msisdn="+8613800138077",
            iccid=iccid(77),
            imsi="460000000000077",
            holder_name="王芳",
            id_number=cn_id_number("110105", date(1990, 6, 1), 177),
            paid_credit_minor=80_000,
        )
        add_line(session, live.app.deps, operator, spec)
        live.tokens["reviewer2"] = create_staff_token(
            session, START, "e2e-second-reviewer", Role.REVIEWER
        )
        live.tokens["supervisor"] = create_staff_token(
            session, START, "e2e-supervisor", Role.SUPERVISOR
        )
    with live.app.sessions() as session:
        register_lines_in_hlr(session, live.app.deps)
    agent = Actor(Role.AGENT, "e2e-agent", Channel.STORE)
    with live.app.sessions.begin() as session:
        submitted = closure.submit(
            session,
            live.app.deps,
            agent,
            spec.msisdn,
            closure.ClosureInput(
                refund_account="6222020200112233445",
                alternate_contact="wang@example.org",
                identity=(IdentityEvidence(IdentityMethod.ID_DOCUMENT_SEEN),),
            ),
        )
        assert submitted.request.status == "under_review"
        return submitted.request.reference


def test_a_large_refund_takes_two_different_reviewers(live: Live, browser: Any) -> None:
    reference = _large_refund_under_review(live)
    first = new_page(browser, "en-GB")
    staff_sign_in(first, live, live.tokens["reviewer"])
    first.goto(f"{live.url}/console/requests/{reference}")
    assert "Two approvals needed" in first.locator("#approval").inner_text()
    first.get_by_role("button", name="Approve").click()
    assert "needs a second approval" in first.locator("[role=status]").inner_text()
    assert first.locator("#status").inner_text() == "Under review"
    approval = first.locator("#approval").inner_text()
    assert "First approval by reviewer:e2" in approval and "e2e-reviewer" not in approval

    first.get_by_role("button", name="Approve").click()
    assert "a different reviewer must give the second" in (
        first.locator("[role=alert]").inner_text()
    )

    with live.app.sessions.begin() as session:
        closure.get_request(session, reference).escalated_at = START  # overdue, say
    supervisor = new_page(browser, "en-GB")
    staff_sign_in(supervisor, live, live.tokens["supervisor"])
    supervisor.goto(f"{live.url}/console/requests/{reference}")
    supervisor.get_by_label("Reviewer who takes over").fill("e2e-second-reviewer")
    supervisor.get_by_role("button", name="Assign").click()
    assert "assigned" in supervisor.locator("[role=status]").inner_text()
    assert "e2e-second-reviewer" in supervisor.locator("#assigned-to").inner_text()

    second = new_page(browser, "zh-CN")
    staff_sign_in(second, live, live.tokens["reviewer2"])
    second.goto(f"{live.url}/console/requests/{reference}")
    assert "您的审批将是第二次审批" in second.locator("#approval").inner_text()
    shot(second, "console-second-approval-zh_CN")
    second.get_by_role("button", name="通过").click()
    assert "申请已通过" in second.locator("[role=status]").inner_text()
    assert second.locator("#status").inner_text() == "已通过"
