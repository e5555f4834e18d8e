"""The portal's pages: what each shows and the status it answers, for the main paths and the
refusals. A refusal re-renders the form with its reason and a 4xx status."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from lineclose.bootstrap import App
from lineclose.services.context import Role
from lineclose.web.pages.portal.models import (
    ChecklistPage,
    CodePage,
    LinesPage,
    ProgressPage,
    ServicePasswordPage,
    SignInPage,
)
from lineclose.worker.dispatcher import Worker
from tests.api.helpers import last_code, staff
from tests.pages.conftest import Lines, csrf_of, new_client, page_of


@pytest.fixture
def browser(app: App) -> Iterator[TestClient]:
    with new_client(app) as client:
        yield client


def sign_in(browser: TestClient, app: App, worker: Worker, msisdn: str) -> None:
    token = csrf_of(browser, "/portal")
    started = browser.post("/portal/sign-in", data={"msisdn": msisdn, "csrf": token})
    assert started.status_code == 303 and started.headers["location"] == "/portal/code"
    worker.run_until_idle()
    verified = browser.post("/portal/code", data={"code": last_code(app), "csrf": token})
    assert verified.status_code == 303 and verified.headers["location"] == "/portal/lines"


def test_pages_behind_sign_in_send_a_stranger_to_the_sign_in_form(browser: TestClient) -> None:
    for path in ("/portal/lines", "/portal/lines/1", "/portal/requests/LC-2026-AAAAAA"):
        shown = browser.get(path)
        assert shown.status_code == 303 and shown.headers["location"] == "/portal"
    browser.cookies.set("lc_session", "not-a-session")
    assert browser.get("/portal/service-password").headers["location"] == "/portal"


def test_signing_in_refuses_a_bad_number_and_a_wrong_code_with_their_reasons(
    app: App, browser: TestClient, worker: Worker, lines: Lines
) -> None:
    token = csrf_of(browser, "/portal")
    bad = browser.post("/portal/sign-in", data={"msisdn": "12", "csrf": token})
    assert bad.status_code == 422
    shown = page_of(bad)
    assert isinstance(shown, SignInPage) and shown.msisdn == "12"
    assert shown.error is not None and "country code" in shown.error

    assert (
        browser.post("/portal/sign-in", data={"msisdn": lines.billed, "csrf": ""}).status_code
        == 400
    )
    browser.post("/portal/sign-in", data={"msisdn": lines.billed, "csrf": token})
    wrong = browser.post("/portal/code", data={"code": "000000", "csrf": token})
    assert wrong.status_code in (400, 401)
    code_page = page_of(wrong)
    assert isinstance(code_page, CodePage) and code_page.code == "000000"
    assert code_page.error and "wrong" in code_page.error
    assert lines.billed not in code_page.sent_to  # masked


def test_the_holder_sees_their_lines_masked_and_never_another_holders(
    app: App, browser: TestClient, worker: Worker, lines: Lines
) -> None:
    sign_in(browser, app, worker, lines.billed)
    listed = browser.get("/portal/lines")
    assert listed.status_code == 200
    shown = page_of(listed)
    assert isinstance(shown, LinesPage)
    assert [line.id for line in shown.lines] == [lines.billed_id]
    assert shown.lines[0].msisdn != lines.billed and shown.lines[0].msisdn.endswith(
        lines.billed[-4:]
    )
    assert lines.billed not in listed.text

    refused = browser.get(f"/portal/lines/{lines.elsewhere_id}")
    assert refused.status_code == 403
    assert browser.get("/portal/lines/999999").status_code == 404


def test_checklist_shows_each_blocker_with_its_fix_and_fixes_apply_in_place(
    app: App, browser: TestClient, worker: Worker, lines: Lines
) -> None:
    sign_in(browser, app, worker, lines.billed)
    path = f"/portal/lines/{lines.billed_id}"
    shown = page_of(browser.get(path))
    assert isinstance(shown, ChecklistPage)
    assert {"ARREARS", "BINDINGS_PRESENT"} <= set(shown.blocker_codes)
    assert [b.id for b in shown.bills] == [lines.bill_id]
    assert [(b.id, b.acknowledged) for b in shown.bindings] == [(lines.binding_id, False)]
    assert shown.open_request is None and shown.error is None

    token = csrf_of(browser, path)
    paid = browser.post(
        f"{path}/bills/{lines.bill_id}/pay",
        data={"csrf": token, "reference": "pay-1", "ack": [str(lines.binding_id)]},
    )
    assert paid.status_code == 303
    assert paid.headers["location"] == f"{path}?ack={lines.binding_id}#checklist"
    again = page_of(browser.get(f"{path}?ack={lines.binding_id}"))
    assert isinstance(again, ChecklistPage)
    assert "ARREARS" not in again.blocker_codes and again.bills == []
    assert again.bindings[0].acknowledged

    missing = browser.post(f"{path}/bills/999/pay", data={"csrf": token, "reference": "x"})
    assert missing.status_code == 404
    refused = page_of(missing)
    assert isinstance(refused, ChecklistPage) and refused.error


def test_submit_needs_the_confirmation_then_leads_to_the_progress_page(
    app: App, browser: TestClient, worker: Worker, lines: Lines
) -> None:
    sign_in(browser, app, worker, lines.billed)
    path = f"/portal/lines/{lines.billed_id}"
    token = csrf_of(browser, path)
    form = {"csrf": token, "alternate_contact": "me@example.org", "ack": [str(lines.binding_id)]}
    unconfirmed = browser.post(f"{path}/submit", data=form)
    assert unconfirmed.status_code == 400
    shown = page_of(unconfirmed)
    assert isinstance(shown, ChecklistPage)
    assert shown.form["alternate_contact"] == "me@example.org"  # what was typed stays
    assert shown.error and "Tick the box" in shown.error

    submitted = browser.post(f"{path}/submit", data={**form, "confirm": "1"})
    assert submitted.status_code == 303
    assert re.fullmatch(r"/portal/requests/LC-\d{4}-[\w-]+", submitted.headers["location"])
    progress = page_of(browser.get(submitted.headers["location"]))
    assert isinstance(progress, ProgressPage)
    assert progress.req.status == "needs_action"  # the bill is still unpaid
    assert progress.steps[0].state == "problem" and progress.line_id == lines.billed_id
    assert progress.req.alternate_contact != "me@example.org"  # masked

    twice = browser.post(f"{path}/submit", data={**form, "confirm": "1"})
    assert twice.status_code == 409
    assert page_of(twice).open_request == progress.req.reference  # type: ignore[attr-defined]


def test_withdrawing_works_once_and_a_second_try_is_refused_with_409(
    app: App, browser: TestClient, worker: Worker, lines: Lines
) -> None:
    sign_in(browser, app, worker, lines.billed)
    path = f"/portal/lines/{lines.billed_id}"
    token = csrf_of(browser, path)
    reference = (
        browser.post(
            f"{path}/submit",
            data={"csrf": token, "confirm": "1", "alternate_contact": "me@example.org"},
        )
        .headers["location"]
        .rsplit("/", 1)[1]
    )
    done = browser.post(f"/portal/requests/{reference}/withdraw", data={"csrf": token})
    assert done.status_code == 303
    shown = page_of(browser.get(f"/portal/requests/{reference}"))
    assert isinstance(shown, ProgressPage) and shown.req.status == "withdrawn"
    again = browser.post(f"/portal/requests/{reference}/withdraw", data={"csrf": token})
    assert again.status_code == 409
    refused = page_of(again)
    assert isinstance(refused, ProgressPage) and refused.error


def test_resubmitting_keeps_the_closure_at_the_end_of_the_term(
    app: App, browser: TestClient, worker: Worker, lines: Lines
) -> None:
    sign_in(browser, app, worker, lines.contracted)
    path = f"/portal/lines/{lines.contracted_id}"
    token = csrf_of(browser, path)
    submitted = browser.post(
        f"{path}/submit",
        data={
            "csrf": token,
            "confirm": "1",
            "term_end": "1",
            "alternate_contact": "me@example.org",
        },
    )
    reference = submitted.headers["location"].rsplit("/", 1)[1]
    reviewer = staff(app, Role.REVIEWER)
    rejected = browser.post(
        f"/api/v1/closure-requests/{reference}/reject",
        json={"reasons": [{"code": "REFUND_ACCOUNT_INVALID"}]},
        headers=reviewer,
    )
    assert rejected.status_code == 200, rejected.text
    shown = page_of(browser.get(f"/portal/requests/{reference}"))
    assert isinstance(shown, ProgressPage)
    assert shown.term_end and shown.req.requested_date == lines.commitment_end.isoformat()

    resubmitted = browser.post(
        f"/portal/requests/{reference}/resubmit",
        data={"csrf": token, "term_end": "1", "alternate_contact": "me@example.org"},
    )
    assert resubmitted.status_code == 303
    after = browser.get(f"/api/v1/closure-requests/{reference}", headers=reviewer).json()
    assert after["status"] == "under_review"
    assert after["requested_date"] == lines.commitment_end.isoformat()
    assert after["accept_etf"] is False
    assert not any(b["code"] == "COMMITMENT_ACTIVE" for b in after["blockers"] or [])


def test_service_password_is_set_once_typed_twice_alike(
    app: App, browser: TestClient, worker: Worker, lines: Lines
) -> None:
    sign_in(browser, app, worker, lines.billed)
    token = csrf_of(browser, "/portal/service-password")
    shown = page_of(browser.get("/portal/service-password"))
    assert isinstance(shown, ServicePasswordPage) and shown.has_password  # the factory sets one
    differ = browser.post(
        "/portal/service-password",
        data={"csrf": token, "new_password": "k8s-9931", "new_password_again": "k8s-9932"},
    )
    assert differ.status_code == 422
    refused = page_of(differ)
    assert isinstance(refused, ServicePasswordPage) and refused.error_field == "new_password"
    wrong_current = browser.post(
        "/portal/service-password",
        data={
            "csrf": token,
            "current_password": "not-it",
            "new_password": "k8s-9931",
            "new_password_again": "k8s-9931",
        },
    )
    assert wrong_current.status_code in (400, 401, 403)
    assert page_of(wrong_current).error_field == "current_password"  # type: ignore[attr-defined]
    saved = browser.post(
        "/portal/service-password",
        data={
            "csrf": token,
            "current_password": "s3cret-pass",
            "new_password": "k8s-9931",
            "new_password_again": "k8s-9931",
        },
    )
    assert saved.status_code == 303
    notice = page_of(browser.get(saved.headers["location"]))
    assert isinstance(notice, ServicePasswordPage) and notice.notice
