"""The console as staff use it: a hotline verification carries through to the submit, it
speaks to staff, records its own channel, finds national numbers and shows closing dates."""

from __future__ import annotations

from sqlalchemy import select

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.services.context import Role
from lineclose.web.pages.console.models import LinePage, RequestPage, SearchPage
from tests.factories import SERVICE_PASSWORD
from tests.pages.conftest import (
    Lines,
    console_client,
    csrf_of,
    new_client,
    page_of,
    staff_token,
    submitted_in_store,
)


def test_a_caller_verified_on_the_hotline_stays_verified_for_the_submit(
    app: App, lines: Lines
) -> None:
    with console_client(app, staff_token(app, Role.AGENT)) as agent:
        path = f"/console/lines/{lines.billed_id}"
        token = csrf_of(agent, path)
        form = {"csrf": token, "channel": "hotline", "method": "service_password"}
        checked = agent.post(path, data={**form, "action": "check", "value": SERVICE_PASSWORD})
        assert checked.status_code == 200
        shown = page_of(checked)
        assert isinstance(shown, LinePage) and shown.verified == ["service_password"]
        assert shown.verification and SERVICE_PASSWORD not in checked.text
        assert shown.verification in checked.text  # only the handle travels in the page
        # The password field comes back empty; the radio button stays on service_password.
        submitted = agent.post(
            path,
            data={
                **form,
                "action": "submit",
                "value": "",
                "verification": shown.verification,
                "alternate_contact": "me@example.org",
                "ack": str(lines.binding_id),
            },
        )
        assert submitted.status_code == 303, submitted.text
        request = page_of(agent.get(submitted.headers["location"]))
        assert isinstance(request, RequestPage)
        assert request.req.identity_methods == ["service_password"]
        assert request.req.channel == "hotline"
    with app.sessions() as session:
        assert session.execute(select(models.CallerVerification.used_at)).scalar_one()


def test_a_verification_is_used_once_and_only_by_the_staff_member_who_made_it(
    app: App, lines: Lines
) -> None:
    with console_client(app, staff_token(app, Role.AGENT)) as agent:
        path = f"/console/lines/{lines.billed_id}"
        token = csrf_of(agent, path)
        form = {"csrf": token, "channel": "hotline", "method": "service_password"}
        handle = page_of(
            agent.post(path, data={**form, "action": "check", "value": SERVICE_PASSWORD})
        ).verification  # type: ignore[attr-defined]
    other = staff_token(app, Role.AGENT, lines.operator_id)
    with console_client(app, other) as colleague:
        token = csrf_of(colleague, path)
        refused = colleague.post(
            path,
            data={
                "csrf": token,
                "channel": "hotline",
                "action": "submit",
                "verification": handle,
                "alternate_contact": "me@example.org",
            },
        )
        assert refused.status_code == 400
        assert page_of(refused).line.request is None  # type: ignore[attr-defined]


def test_the_hotline_cannot_record_a_document_seen(app: App, lines: Lines) -> None:
    with console_client(app, staff_token(app, Role.AGENT)) as agent:
        path = f"/console/lines/{lines.clean_id}"
        token = csrf_of(agent, path)
        refused = agent.post(
            path,
            data={
                "csrf": token,
                "channel": "hotline",
                "method": "id_document_seen",
                "action": "submit",
                "alternate_contact": "me@example.org",
            },
        )
        assert refused.status_code == 422
        assert page_of(refused).line.request is None  # type: ignore[attr-defined]
        in_store = agent.post(
            path,
            data={
                "csrf": token,
                "channel": "store",
                "method": "id_document_seen",
                "document_kind": "passport",
                "action": "submit",
                "alternate_contact": "me@example.org",
            },
        )
        assert in_store.status_code == 303
        shown = page_of(agent.get(in_store.headers["location"]))
        assert isinstance(shown, RequestPage) and shown.req.identity_document == "passport"


def test_console_decisions_are_recorded_as_made_in_the_console(app: App, lines: Lines) -> None:
    with new_client(app) as client:
        reference = submitted_in_store(client, app, lines.clean)
    with console_client(app, staff_token(app, Role.REVIEWER)) as reviewer:
        token = csrf_of(reviewer, f"/console/requests/{reference}")
        decided = reviewer.post(
            f"/console/requests/{reference}/decide", data={"csrf": token, "decision": "approve"}
        )
        shown = page_of(reviewer.get(decided.headers["location"]))
        assert isinstance(shown, RequestPage)
        approval = next(h for h in shown.req.history if h.command == "approve")
        assert approval.channel == "console"


def test_the_console_speaks_to_staff_about_the_subscriber(app: App, lines: Lines) -> None:
    with console_client(app, staff_token(app, Role.AGENT)) as agent:
        html = agent.get(f"/console/lines/{lines.billed_id}").text
    assert "Refund to the subscriber" in html and "Final bill" in html
    assert "Refund to you" not in html and "Your final bill" not in html
    assert "Amount you still owe" not in html


def test_a_scheduled_closure_shows_its_date_in_the_queue_and_the_request(
    app: App, lines: Lines
) -> None:
    agent = {"Authorization": f"Bearer {staff_token(app, Role.AGENT)}"}
    with new_client(app) as client:
        answer = client.post(
            "/api/v1/closure-requests",
            json={
                "msisdn": lines.contracted,
                "channel": "store",
                "identity": [{"method": "id_document_seen", "value": "passport"}],
                "schedule_at_term_end": True,
                "alternate_contact": "me@example.org",
            },
            headers=agent,
        )
        assert answer.status_code == 201, answer.text
        reference = answer.json()["reference"]
    day = lines.commitment_end
    with console_client(app, staff_token(app, Role.REVIEWER)) as reviewer:
        detail = reviewer.get(f"/console/requests/{reference}")
        assert 'id="closes-on"' in detail.text
        assert str(day.year) in detail.text.split('id="closes-on"')[1][:80]
        queue = reviewer.get("/console/queue").text
        assert "closes-on" in queue


def test_the_console_search_finds_a_number_typed_in_national_form(app: App, lines: Lines) -> None:
    national = lines.billed.removeprefix("+86")
    with console_client(app, staff_token(app, Role.AGENT, lines.operator_id)) as agent:
        token = csrf_of(agent, "/console/search")
        found = page_of(agent.post("/console/search", data={"q": national, "csrf": token}))
        assert isinstance(found, SearchPage)
        assert [line.id for line in found.lines] == [lines.billed_id]


def test_the_audit_trail_reads_in_the_staff_members_language(app: App, lines: Lines) -> None:
    with new_client(app) as client:
        reference = submitted_in_store(client, app, lines.clean)
    with console_client(app, staff_token(app, Role.REVIEWER)) as reviewer:
        reviewer.headers["Accept-Language"] = "zh-CN"
        html = reviewer.get(f"/console/requests/{reference}").text
    trail = html.split("<tbody>")[-1]
    assert "审核中" in trail or "待审核" in trail  # under_review, as the state label reads
    assert "to=under_review" not in trail and "channel=store" not in trail
    assert "营业厅" in trail  # the channel, translated
