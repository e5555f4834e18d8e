"""An escalated review reaches the supervisors by e-mail, once, in the operator's language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from lineclose.bootstrap import App
from lineclose.config import Settings
from lineclose.ports.clock import FrozenClock
from lineclose.services.context import Role
from lineclose.services.identity import open_console_session
from lineclose.worker.dispatcher import Worker
from tests.api.helpers import sign_in, staff
from tests.api.test_lifecycle_rules import new_line, submit

SUPERVISORS = ("duty@operator.example", "lead@operator.example")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"supervisor_emails": " , ".join(SUPERVISORS)})


def test_supervisors_are_told_by_e_mail_when_a_review_is_escalated(
    app: App, client: TestClient, worker: Worker, clock: FrozenClock
) -> None:
    msisdn = new_line(app)
    me = sign_in(client, app, worker, msisdn)
    ref = submit(client, me, msisdn)["reference"]
    clock.advance(timedelta(days=2))  # due today: nobody is told yet
    worker.run_until_idle()
    sent = app.deps.email.sent  # type: ignore[attr-defined]
    assert not [m for m in sent if m.to in SUPERVISORS]
    clock.advance(timedelta(days=3))  # past the due date: escalated
    worker.run_until_idle()
    worker.run_until_idle()  # a second sweep tells nobody twice
    told = [m for m in sent if m.to in SUPERVISORS]
    assert sorted(m.to for m in told) == sorted(SUPERVISORS)
    for message in told:
        assert ref in message.body and f"/console/requests/{ref}" in message.body
        assert msisdn not in message.body  # the number is masked
        assert "升级" in message.body  # a Chinese operator's supervisors read Chinese
    # And the console tells supervisors on every page how many escalations wait.
    token = staff(app, Role.SUPERVISOR, "duty")["Authorization"].removeprefix("Bearer ")
    with app.sessions.begin() as session:
        console_id, _ = open_console_session(session, app.deps, token)
    client.cookies.set("lc_staff", console_id)
    page = client.get("/console/search")
    assert page.status_code == 200
    assert 'id="escalated-count">1</span>' in page.text
