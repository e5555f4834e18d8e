"""Guessing identity evidence: wrong last-six guesses of the ID number lock the line on every
channel (API precheck and submit, TMF622 orders, the console check), the lock is audited, and
masks never reveal what a partial check accepts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.domain.identifiers import accepted_partial, mask_id_number
from lineclose.domain.profiles import PROFILES
from lineclose.services.context import Role, Scope
from tests.api.helpers import staff
from tests.api.standards_support import token
from tests.factories import HOLDER_ID, make_line, make_operator

RIGHT_TAIL = HOLDER_ID[-6:]


def wrong_tails() -> list[str]:
    """Last-six guesses sharing the four digits the old mask showed, none of them right."""
    shown = HOLDER_ID[-4:]
    return [f"{n:02d}{shown}" for n in range(100) if f"{n:02d}{shown}" != RIGHT_TAIL]


def cn_line(app: App) -> tuple[str, int, int]:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn")
        line = make_line(session, app.deps, operator)
        return line.msisdn, line.id, operator.id


def audit_actions(app: App, entity_id: str) -> list[str]:
    with app.sessions() as session:
        return list(
            session.execute(
                select(models.AuditEntry.action)
                .where(models.AuditEntry.entity_id == entity_id)
                .order_by(models.AuditEntry.id)
            ).scalars()
        )


def guess_until_locked(app: App, attempt: Callable[[str], Any]) -> list[int]:
    """Send wrong guesses until a refusal says the checks are locked; the statuses seen."""
    statuses: list[int] = []
    for guess in wrong_tails()[: app.settings.evidence_lockout_failures + 1]:
        statuses.append(attempt(guess))
    return statuses


def assert_locked_and_audited(app: App, statuses: list[int], line_id: int) -> None:
    limit = app.settings.evidence_lockout_failures
    assert statuses[:limit] == [400] * limit
    assert statuses[limit] == 429
    actions = audit_actions(app, str(line_id))
    assert actions.count("identity.check_failed") == limit
    assert "identity.locked" in actions


def evidence(value: str) -> list[dict[str, str]]:
    return [{"method": "id_number", "value": value}]


def test_guessing_the_last_six_over_precheck_locks_even_the_right_answer(
    app: App, client: TestClient
) -> None:
    msisdn, line_id, _ = cn_line(app)
    agent = staff(app, Role.AGENT)

    def attempt(value: str) -> int:
        answer = client.post(
            "/api/v1/precheck", json={"msisdn": msisdn, "identity": evidence(value)}, headers=agent
        )
        return answer.status_code

    statuses = guess_until_locked(app, attempt)
    assert_locked_and_audited(app, statuses, line_id)
    right = client.post(
        "/api/v1/precheck", json={"msisdn": msisdn, "identity": evidence(RIGHT_TAIL)}, headers=agent
    )
    assert right.status_code == 429 and right.json()["code"] == "identity_locked"


def test_guessing_over_submit_locks_creates_nothing_and_locks_the_caller_elsewhere(
    app: App, client: TestClient
) -> None:
    app.settings.evidence_lockout_failures_per_caller = app.settings.evidence_lockout_failures + 1
    msisdn, line_id, _ = cn_line(app)
    other, _, _ = cn_line(app)
    agent = staff(app, Role.AGENT)

    def attempt(value: str) -> int:
        body = {
            "msisdn": msisdn,
            "alternate_contact": "me@example.org",
            "identity": evidence(value),
        }
        return client.post("/api/v1/closure-requests", json=body, headers=agent).status_code

    statuses = guess_until_locked(app, attempt)
    assert_locked_and_audited(app, statuses, line_id)
    with app.sessions() as session:
        assert session.execute(select(models.ClosureRequest.id)).first() is None
    # One more wrong answer on another line reaches the caller's own limit: the caller is locked.
    assert attempt_on(client, agent, other, "000000") == 400
    assert attempt_on(client, agent, other, HOLDER_ID) == 429
    assert "identity.locked" in audit_actions(app, "agent:agent-1")


def attempt_on(client: TestClient, headers: dict[str, str], msisdn: str, value: str) -> int:
    body = {"msisdn": msisdn, "identity": evidence(value)}
    return client.post("/api/v1/precheck", json=body, headers=headers).status_code


def test_guessing_over_tmf622_orders_locks(app: App, client: TestClient) -> None:
    msisdn, line_id, operator_id = cn_line(app)
    system = token(
        app, Role.INTEGRATION, operator_id, frozenset({Scope.CLOSURE_SUBMIT, Scope.CLOSURE_READ})
    )

    def attempt(value: str) -> int:
        body = {
            "notificationContact": "holder@example.org",
            "productOrderItem": [
                {
                    "id": "1",
                    "action": "delete",
                    "product": {
                        "productCharacteristic": [
                            {"name": "msisdn", "value": msisdn},
                            {
                                "name": "identityEvidence",
                                "valueType": "array",
                                "value": evidence(value),
                            },
                        ]
                    },
                }
            ],
        }
        answer = client.post(
            "/tmf-api/productOrderingManagement/v4/productOrder", json=body, headers=system
        )
        return answer.status_code

    statuses = guess_until_locked(app, attempt)
    assert_locked_and_audited(app, statuses, line_id)


# Console pages run on SQLite only, as in tests/pages; the API tests cover both backends.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_guessing_over_the_console_check_locks(app: App) -> None:
    from tests.pages.conftest import console_client, csrf_of, staff_token

    msisdn, line_id, _ = cn_line(app)
    with console_client(app, staff_token(app, Role.AGENT)) as agent:
        path = f"/console/lines/{line_id}"

        def attempt(value: str) -> int:
            form = {
                "csrf": csrf_of(agent, path),
                "action": "check",
                "channel": "hotline",
                "method": "id_number",
                "value": value,
            }
            return agent.post(path, data=form).status_code

        statuses = guess_until_locked(app, attempt)
    assert_locked_and_audited(app, statuses, line_id)
    assert msisdn


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_a_mask_never_shows_a_character_a_partial_check_accepts(profile: str) -> None:
    # The profile's own rule, and the same profile with partial checks switched on by an override.
    for allowed in {PROFILES[profile].id_last_six_allowed, True}:
        for value in (HOLDER_ID, "AB123456C", "ZX98765", "1234567890123456789012"):
            masked = mask_id_number(value, allowed)
            partial = accepted_partial(value, allowed)
            start = len(value) - len(partial)
            shown_in_partial = [c for i, c in enumerate(masked) if i >= start and c != "*"]
            assert shown_in_partial == [], (profile, value, masked)
            assert len(masked) == len(value)


def test_the_cn_profile_masks_stay_useful_and_hide_the_tail() -> None:
    assert PROFILES["cn"].id_last_six_allowed
    assert mask_id_number(HOLDER_ID, True) == HOLDER_ID[:3] + "*" * 15
    assert mask_id_number("AB123456C", False) == "AB1**456C"
