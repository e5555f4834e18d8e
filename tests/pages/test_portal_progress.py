"""The progress page follows the request by itself and keeps saying what is still owed after
closure, and so does the certificate."""

from __future__ import annotations

from sqlalchemy import select

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.services.certificates import pdf_view
from lineclose.services.context import Role
from lineclose.web.pages.portal.models import ProgressPage
from lineclose.worker.dispatcher import Worker
from tests.api.helpers import staff
from tests.factories import make_line, make_operator
from tests.pages.conftest import csrf_of, new_client, page_of
from tests.pages.test_portal_pages import sign_in


def test_progress_refreshes_while_the_request_moves_and_shows_what_is_still_owed(
    app: App, worker: Worker
) -> None:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn")
        # Usage not yet billed and no credit: the final bill leaves an amount owed.
        line = make_line(
            session, app.deps, operator, service_password=None, unbilled_usage_minor=4_321
        )
        msisdn, line_id = line.msisdn, line.id
    with new_client(app) as browser:
        sign_in(browser, app, worker, msisdn)
        path = f"/portal/lines/{line_id}"
        token = csrf_of(browser, path)
        submitted = browser.post(
            f"{path}/submit",
            data={"csrf": token, "alternate_contact": "me@example.org", "confirm": "1"},
        )
        assert submitted.status_code == 303
        progress_path = submitted.headers["location"]
        waiting = browser.get(progress_path)
        shown = page_of(waiting)
        assert isinstance(shown, ProgressPage) and shown.req.status == "under_review"
        assert '<meta http-equiv="refresh" content="60">' in waiting.text
        assert "<script" not in waiting.text  # works without scripts

        reference = shown.req.reference
        approved = browser.post(
            f"/api/v1/closure-requests/{reference}/approve",
            json={},
            headers=staff(app, Role.REVIEWER),
        )
        assert approved.status_code == 200, approved.text
        worker.run_until_idle()

        closed = browser.get(progress_path)
        after = page_of(closed)
        assert isinstance(after, ProgressPage) and after.req.status == "closed"
        assert 'http-equiv="refresh"' not in closed.text  # nothing more will happen
        assert after.req.quote and after.req.quote["amount_due_minor"] > 0
        assert 'id="amount-owed"' in closed.text and 'id="how-to-pay"' in closed.text
        assert reference in closed.text.split('id="how-to-pay"')[1][:400]

    with app.sessions() as session:
        certificate = session.execute(select(models.Certificate)).scalar_one()
        view = pdf_view(certificate, "http://127.0.0.1:8000/verify/x")
    assert view.amount_due_minor == after.req.quote["amount_due_minor"]
