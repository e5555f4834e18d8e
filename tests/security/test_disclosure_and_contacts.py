"""What answers give away: whether a number exists, who rejected a request; and what an
alternate contact may hold."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.domain.contacts import validate_alternate_contact
from lineclose.domain.identifiers import InvalidIdentifier
from lineclose.services.context import Role
from lineclose.worker.dispatcher import Worker
from tests.api.helpers import sign_in, staff
from tests.api.standards_support import token
from tests.factories import make_line, make_operator

UNKNOWN = "+8613999999999"


def new_line(app: App) -> tuple[str, int]:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn")
        line = make_line(session, app.deps, operator)
        return line.msisdn, operator.id


def shape(answer: Any) -> tuple[int, list[str], str | None]:
    body = answer.json()
    return answer.status_code, sorted(body), body.get("code")


def outbox_rows(app: App) -> int:
    with app.sessions() as session:
        return int(session.execute(select(func.count(models.OutboxRow.id))).scalar_one())


def test_asking_for_a_code_answers_alike_for_unknown_and_known_numbers_and_sends_nothing(
    app: App, client: TestClient, worker: Worker
) -> None:
    known, _ = new_line(app)
    before = outbox_rows(app)
    unknown = client.post("/api/v1/auth/otp", json={"msisdn": UNKNOWN})
    assert outbox_rows(app) == before  # no code for a number with no line
    real = client.post("/api/v1/auth/otp", json={"msisdn": known})
    assert shape(unknown) == shape(real) == (202, ["challenge_id", "expires_at", "sent_to"], None)
    assert unknown.json()["sent_to"] == "+8613*****9999"
    decoy = client.post(
        "/api/v1/auth/otp/verify",
        json={"challenge_id": unknown.json()["challenge_id"], "code": "123456"},
    )
    nothing = client.post(
        "/api/v1/auth/otp/verify", json={"challenge_id": "no-such-challenge", "code": "123456"}
    )
    assert shape(decoy) == shape(nothing)
    assert decoy.json()["code"] == "code_expired"
    other, _ = new_line(app)
    resets = [
        shape(client.post("/api/v1/auth/password/reset/start", json={"msisdn": n}))
        for n in ("+8613999999998", other)
    ]
    assert resets[0] == resets[1] and resets[0][0] == 202


def test_another_subscribers_line_answers_as_an_unknown_number(
    app: App, client: TestClient, worker: Worker
) -> None:
    mine, _ = new_line(app)
    theirs, _ = new_line(app)
    me = sign_in(client, app, worker, mine)
    seen = [shape(client.get(f"/api/v1/lines/{n}", headers=me)) for n in (theirs, UNKNOWN)]
    assert seen[0] == seen[1] and seen[0][0] == 404
    checked = [
        shape(client.post("/api/v1/precheck", json={"msisdn": n}, headers=me))
        for n in (theirs, UNKNOWN)
    ]
    assert checked[0] == checked[1] and checked[0][2] == "unknown_line"


def test_another_operators_line_answers_as_an_unknown_number_to_staff(
    app: App, client: TestClient
) -> None:
    theirs, _ = new_line(app)
    _, own_operator = new_line(app)
    agent = token(app, Role.AGENT, own_operator)
    answers = [
        shape(
            client.post(
                "/api/v1/closure-requests",
                json={"msisdn": n, "identity": [{"method": "id_document_seen"}]},
                headers=agent,
            )
        )
        for n in (theirs, UNKNOWN)
    ]
    assert answers[0] == answers[1] and answers[0][0] == 404


def test_a_rejection_shows_the_subscriber_the_reviewers_role_not_their_name(
    app: App, client: TestClient, worker: Worker
) -> None:
    msisdn, _ = new_line(app)
    me = sign_in(client, app, worker, msisdn)
    reviewer = staff(app, Role.REVIEWER, "Zhang Wei")
    submitted = client.post(
        "/api/v1/closure-requests",
        json={"msisdn": msisdn, "alternate_contact": "wang.fang@example.org"},
        headers=me,
    )
    assert submitted.status_code == 201, submitted.text
    reference = submitted.json()["reference"]
    rejected = client.post(
        f"/api/v1/closure-requests/{reference}/reject",
        json={"reasons": [{"code": "ID_MISMATCH", "note": "name differs"}]},
        headers=reviewer,
    )
    assert rejected.status_code == 200, rejected.text
    shown = client.get(f"/api/v1/closure-requests/{reference}", headers=me).json()
    assert shown["rejection"]["by"] == "reviewer"
    assert "Zhang" not in str(shown)


@pytest.mark.parametrize(
    "contact",
    [
        "me@example.org\r\nBcc: all@example.org",
        "<script>alert(1)</script>@example.org",
        "me@example.org<b>",
        "+8613800138000\r\nX: y",
        "+8613800138000<img src=x>",
        "call +8613800138000 please",
        "me@localhost",
    ],
)
def test_an_alternate_contact_with_line_breaks_or_markup_is_refused(contact: str) -> None:
    with pytest.raises(InvalidIdentifier) as refused:
        validate_alternate_contact(contact, "+8613900000001")
    assert refused.value.field == "alternate_contact"


def test_good_alternate_contacts_are_kept_normalized() -> None:
    assert validate_alternate_contact("Wang.Fang@Example.ORG", "+8613900000001") == (
        "Wang.Fang@example.org"
    )
    assert validate_alternate_contact("+86 138 0013 8000", "+8613900000001") == "+8613800138000"


def test_submit_refuses_a_contact_with_a_line_break(app: App, client: TestClient) -> None:
    msisdn, _ = new_line(app)
    agent = staff(app, Role.AGENT)
    refused = client.post(
        "/api/v1/closure-requests",
        json={
            "msisdn": msisdn,
            "channel": "store",
            "identity": [{"method": "id_document_seen"}],
            "alternate_contact": "me@example.org\r\nBcc: all@example.org",
        },
        headers=agent,
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid_alternate_contact"
