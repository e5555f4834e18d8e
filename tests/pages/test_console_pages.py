"""The console's pages: what each shows and the status it answers, per role, for the main
paths and the refusals."""

from __future__ import annotations

import pytest

from lineclose.bootstrap import App
from lineclose.services.context import Role
from lineclose.web.pages.console.models import (
    LinePage,
    OutboxPage,
    QueuePage,
    RequestPage,
    SearchPage,
)
from tests.pages.conftest import (
    Lines,
    console_client,
    csrf_of,
    given_up_step,
    new_client,
    page_of,
    staff_token,
    submitted_in_store,
)


@pytest.fixture
def reference(app: App, lines: Lines) -> str:
    with new_client(app) as client:
        return submitted_in_store(client, app, lines.clean)


def test_console_pages_send_a_stranger_to_the_sign_in_form(app: App) -> None:
    with new_client(app) as client:
        for path in ("/console/queue", "/console/search", "/console/outbox", "/console/lines/1"):
            shown = client.get(path)
            assert shown.status_code == 303 and shown.headers["location"] == "/console"


def test_signing_in_lands_deciders_on_the_queue_and_agents_on_the_search(app: App) -> None:
    for role, home in ((Role.REVIEWER, "/console/queue"), (Role.AGENT, "/console/search")):
        with new_client(app) as client:
            token = csrf_of(client, "/console")
            answer = client.post(
                "/console/sign-in", data={"token": staff_token(app, role), "csrf": token}
            )
            assert answer.status_code == 303 and answer.headers["location"] == home
    with new_client(app) as client:
        token = csrf_of(client, "/console")
        refused = client.post("/console/sign-in", data={"token": "lcs_nope", "csrf": token})
        assert refused.status_code == 401


def test_the_queue_lists_requests_under_review_for_deciders_only(
    app: App, lines: Lines, reference: str
) -> None:
    with console_client(app, staff_token(app, Role.REVIEWER)) as reviewer:
        shown = reviewer.get("/console/queue")
        assert shown.status_code == 200
        queue = page_of(shown)
        assert isinstance(queue, QueuePage) and queue.staff.can_review
        assert [i.request.reference for i in queue.items] == [reference]
        assert queue.items[0].request.msisdn.endswith(lines.clean[-4:])
        assert lines.clean not in shown.text
        overdue = page_of(reviewer.get("/console/queue?overdue=1"))
        assert isinstance(overdue, QueuePage) and overdue.items == [] and overdue.only_overdue
    with console_client(app, staff_token(app, Role.AGENT)) as agent:
        assert agent.get("/console/queue").status_code == 403


def test_staff_of_one_operator_see_only_its_requests_in_the_queue(
    app: App, lines: Lines, reference: str
) -> None:
    with console_client(app, staff_token(app, Role.REVIEWER, lines.other_operator_id)) as other:
        queue = page_of(other.get("/console/queue"))
        assert isinstance(queue, QueuePage) and queue.items == []
        assert other.get(f"/console/requests/{reference}").status_code == 404  # as if unknown


def test_request_page_shows_detail_audit_and_what_the_role_may_do(app: App, reference: str) -> None:
    with console_client(app, staff_token(app, Role.REVIEWER)) as reviewer:
        shown = page_of(reviewer.get(f"/console/requests/{reference}"))
        assert isinstance(shown, RequestPage)
        assert shown.req.reference == reference and shown.req.status == "under_review"
        assert shown.can_decide and not shown.can_assign
        assert shown.current is not None and shown.current.blockers == []
        assert [a.action for a in shown.audit]  # the submission is in the audit trail
    with console_client(app, staff_token(app, Role.AGENT)) as agent:
        seen = page_of(agent.get(f"/console/requests/{reference}"))
        assert isinstance(seen, RequestPage) and not seen.can_decide
    with console_client(app, staff_token(app, Role.REVIEWER)) as reviewer:
        assert reviewer.get("/console/requests/LC-2026-ZZZZZZ").status_code == 404


def test_a_rejection_needs_a_reason_and_an_approval_is_recorded(app: App, reference: str) -> None:
    with console_client(app, staff_token(app, Role.REVIEWER)) as reviewer:
        token = csrf_of(reviewer, f"/console/requests/{reference}")
        no_reason = reviewer.post(
            f"/console/requests/{reference}/decide",
            data={"csrf": token, "decision": "reject", "note": "why not"},
        )
        assert no_reason.status_code == 422
        refused = page_of(no_reason)
        assert isinstance(refused, RequestPage) and refused.error
        assert refused.form == {"note": "why not", "reasons": []}
        approved = reviewer.post(
            f"/console/requests/{reference}/decide", data={"csrf": token, "decision": "approve"}
        )
        assert approved.status_code == 303
        assert approved.headers["location"] == f"/console/requests/{reference}?done=approved"
        after = page_of(reviewer.get(approved.headers["location"]))
        assert isinstance(after, RequestPage) and after.req.status == "approved" and after.notice


def test_an_agent_cannot_decide_in_the_console_any_more_than_in_the_api(
    app: App, reference: str
) -> None:
    with console_client(app, staff_token(app, Role.AGENT)) as agent:
        token = csrf_of(agent, f"/console/requests/{reference}")
        refused = agent.post(
            f"/console/requests/{reference}/decide", data={"csrf": token, "decision": "approve"}
        )
        assert refused.status_code == 403
        assert page_of(refused).req.status == "under_review"  # type: ignore[attr-defined]


def test_line_search_finds_by_number_within_the_staff_members_operator(
    app: App, lines: Lines
) -> None:
    with console_client(app, staff_token(app, Role.AGENT, lines.operator_id)) as agent:
        token = csrf_of(agent, "/console/search")
        found = page_of(agent.post("/console/search", data={"q": lines.billed, "csrf": token}))
        assert isinstance(found, SearchPage) and [line.id for line in found.lines] == [
            lines.billed_id
        ]
        elsewhere = page_of(
            agent.post("/console/search", data={"q": lines.elsewhere, "csrf": token})
        )
        assert isinstance(elsewhere, SearchPage) and elsewhere.lines == [] and elsewhere.searched
        assert agent.post("/console/search", data={"q": lines.billed}).status_code == 400


def test_a_reviewer_cannot_submit_a_closure_from_the_console(app: App, lines: Lines) -> None:
    with console_client(app, staff_token(app, Role.REVIEWER)) as reviewer:
        path = f"/console/lines/{lines.clean_id}"
        shown = page_of(reviewer.get(path))
        assert isinstance(shown, LinePage) and not shown.can_submit
        token = csrf_of(reviewer, path)
        refused = reviewer.post(
            path,
            data={
                "csrf": token,
                "action": "submit",
                "channel": "store",
                "method": "id_document_seen",
                "alternate_contact": "me@example.org",
            },
        )
        assert refused.status_code == 403
        assert page_of(refused).line.request is None  # type: ignore[attr-defined]


def test_an_agent_submits_for_a_caller_and_a_check_changes_nothing(app: App, lines: Lines) -> None:
    with console_client(app, staff_token(app, Role.AGENT)) as agent:
        path = f"/console/lines/{lines.clean_id}"
        token = csrf_of(agent, path)
        form = {"csrf": token, "channel": "store", "method": "id_document_seen"}
        checked = agent.post(path, data={**form, "action": "check"})
        assert checked.status_code == 200
        shown = page_of(checked)
        assert isinstance(shown, LinePage) and shown.verified == ["id_document_seen"]
        assert shown.line.request is None
        submitted = agent.post(
            path, data={**form, "action": "submit", "alternate_contact": "me@example.org"}
        )
        assert submitted.status_code == 303
        assert submitted.headers["location"].startswith("/console/requests/LC-")


def test_outbox_lists_dead_and_uncertain_steps_for_reviewers_and_admins_only(
    app: App, lines: Lines, reference: str
) -> None:
    dead = given_up_step(app, reference, "dead", "hlr_bar")
    uncertain = given_up_step(app, reference, "uncertain", "notify_sms")
    given_up_step(app, None, "done", "hlr_delete")
    for role in (Role.AGENT, Role.SUPERVISOR):
        with console_client(app, staff_token(app, role)) as refused:
            assert refused.get("/console/outbox").status_code == 403
    with console_client(app, staff_token(app, Role.REVIEWER)) as reviewer:
        shown = page_of(reviewer.get("/console/outbox"))
        assert isinstance(shown, OutboxPage)
        assert [(r.id, r.status) for r in shown.rows] == [(dead, "dead"), (uncertain, "uncertain")]
        token = csrf_of(reviewer, "/console/outbox")
        retried = reviewer.post(f"/console/outbox/{dead}/retry", data={"csrf": token})
        assert retried.status_code == 303
        after = page_of(reviewer.get(retried.headers["location"]))
        assert isinstance(after, OutboxPage) and after.notice
        assert [r.id for r in after.rows] == [uncertain]
        again = reviewer.post(f"/console/outbox/{dead}/retry", data={"csrf": token})
        assert again.status_code == 409


def test_outbox_of_staff_bound_to_an_operator_shows_only_its_steps(
    app: App, lines: Lines, reference: str
) -> None:
    mine = given_up_step(app, reference, "dead", "hlr_bar")
    with new_client(app) as client:
        theirs_ref = submitted_in_store(client, app, lines.elsewhere)
    theirs = given_up_step(app, theirs_ref, "dead", "hlr_bar")
    unowned = given_up_step(app, None, "dead", "hlr_delete")
    bound = staff_token(app, Role.REVIEWER, lines.operator_id)
    with console_client(app, bound) as reviewer:
        shown = page_of(reviewer.get("/console/outbox"))
        assert isinstance(shown, OutboxPage) and [r.id for r in shown.rows] == [mine]
        token = csrf_of(reviewer, "/console/outbox")
        assert (
            reviewer.post(f"/console/outbox/{theirs}/retry", data={"csrf": token}).status_code
            == 404
        )
    api = {"Authorization": f"Bearer {bound}"}
    with new_client(app) as client:
        listed = client.get("/api/v1/outbox/dead", headers=api).json()
        assert [i["id"] for i in listed["items"]] == [mine]
        assert client.post(f"/api/v1/outbox/{unowned}/retry", headers=api).status_code == 404
    with console_client(app, staff_token(app, Role.ADMIN)) as admin:
        everything = page_of(admin.get("/console/outbox"))
        assert [r.id for r in everything.rows] == [mine, theirs, unowned]  # type: ignore[attr-defined]


def test_escalations_are_for_supervisors_and_admins(app: App, reference: str) -> None:
    with console_client(app, staff_token(app, Role.REVIEWER)) as reviewer:
        assert reviewer.get("/console/escalations").status_code == 403
    with console_client(app, staff_token(app, Role.SUPERVISOR)) as supervisor:
        shown = page_of(supervisor.get("/console/escalations"))
        assert isinstance(shown, QueuePage) and shown.items == []  # nothing is overdue yet
        assert shown.staff.can_escalate and not shown.staff.can_operate
