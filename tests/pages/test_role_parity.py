"""The API and the console answer "may this role do this?" alike, because both ask
`services.access`. Every console action is tried per role next to the API route that does the
same, and every API route's guard is checked to be one of the access rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from lineclose.bootstrap import App
from lineclose.services.access import RULES, SUBSCRIBER
from lineclose.services.context import Role, Scope
from lineclose.web.app import create_app
from lineclose.worker.dispatcher import Worker
from tests.api.helpers import sign_in
from tests.pages.conftest import (
    Lines,
    console_client,
    csrf_of,
    given_up_step,
    new_client,
    staff_token,
    submitted_in_store,
)
from tests.security.test_access_routes import SELF_ONLY, _policy, api_routes

STAFF_ROLES = (Role.AGENT, Role.REVIEWER, Role.SUPERVISOR, Role.ADMIN)


@dataclass(frozen=True)
class Pair:
    """One thing staff can do, in the console and in the API."""

    name: str
    console: Callable[[TestClient, str], Response]
    api: Callable[[TestClient, dict[str, str]], Response]


def refused(answer: Response) -> bool:
    """Kept out for who they are: 401/403, or sent to sign in."""
    if answer.status_code == 303:
        return answer.headers["location"] == "/console"
    return answer.status_code in (401, 403)


def pairs(lines: Lines, open_ref: str, blocked_ref: str, step: int) -> list[Pair]:
    def post(path: str, **data: object) -> Callable[[TestClient, str], Response]:
        return lambda c, csrf: c.post(path, data={"csrf": csrf, **data})

    def get(path: str) -> Callable[[TestClient, str], Response]:
        return lambda c, csrf: c.get(path)

    line = f"/console/lines/{lines.clean_id}"
    reset = {"id_document_seen": "1", "document_kind": "passport"}
    password = {"new_password": "k8s-9931", "new_password_again": "k8s-9931"}
    return [
        Pair(
            "review queue",
            get("/console/queue"),
            lambda c, h: c.get("/api/v1/closure-requests", headers=h),
        ),
        Pair(
            "escalations",
            get("/console/escalations"),
            lambda c, h: c.get("/api/v1/escalations", headers=h),
        ),
        Pair(
            "dead letters",
            get("/console/outbox"),
            lambda c, h: c.get("/api/v1/outbox/dead", headers=h),
        ),
        Pair(
            "a request",
            get(f"/console/requests/{open_ref}"),
            lambda c, h: c.get(f"/api/v1/closure-requests/{open_ref}", headers=h),
        ),
        Pair(
            "a line",
            get(line),
            lambda c, h: c.get(f"/api/v1/lines/{lines.clean}", headers=h),
        ),
        Pair(
            "approve",
            post(f"/console/requests/{blocked_ref}/decide", decision="approve"),
            lambda c, h: c.post(
                f"/api/v1/closure-requests/{blocked_ref}/approve", json={}, headers=h
            ),
        ),
        Pair(
            "reject",
            post(f"/console/requests/{blocked_ref}/decide", decision="reject", reason="OTHER"),
            lambda c, h: c.post(
                f"/api/v1/closure-requests/{blocked_ref}/reject",
                json={"reasons": [{"code": "OTHER"}]},
                headers=h,
            ),
        ),
        Pair(
            "assign",
            post(f"/console/requests/{open_ref}/assign", reviewer="reviewer-9"),
            lambda c, h: c.post(
                f"/api/v1/closure-requests/{open_ref}/assign",
                json={"reviewer": "reviewer-9"},
                headers=h,
            ),
        ),
        Pair(
            "retry a step",
            post(f"/console/outbox/{step}/retry"),
            lambda c, h: c.post(f"/api/v1/outbox/{step}/retry", headers=h),
        ),
        Pair(
            "submit for a caller",
            post(
                line,
                action="submit",
                channel="store",
                method="id_document_seen",
                alternate_contact="me@example.org",
            ),
            lambda c, h: c.post(
                "/api/v1/closure-requests",
                json={
                    "msisdn": lines.clean,
                    "channel": "store",
                    "identity": [{"method": "id_document_seen"}],
                    "alternate_contact": "me@example.org",
                },
                headers=h,
            ),
        ),
        Pair(
            "store password reset",
            post(f"{line}/password-reset", **reset, **password),
            lambda c, h: c.post(
                "/api/v1/auth/password/store-reset",
                json={
                    "msisdn": lines.clean,
                    "id_document_seen": True,
                    "document_kind": "passport",
                    "new_password": "k8s-9931",
                },
                headers=h,
            ),
        ),
    ]


@pytest.fixture
def world(app: App, lines: Lines) -> list[Pair]:
    with new_client(app) as client:
        open_ref = submitted_in_store(client, app, lines.elsewhere)
        blocked_ref = submitted_in_store(client, app, lines.billed)  # unpaid bill: needs action
    step = given_up_step(app, open_ref, "dead", "hlr_bar")
    return pairs(lines, open_ref, blocked_ref, step)


def test_console_and_api_agree_on_every_action_for_every_staff_role(
    app: App, world: list[Pair]
) -> None:
    disagreements = []
    with TestClient(create_app(app), follow_redirects=False) as api:
        for role in STAFF_ROLES:
            token = staff_token(app, role)
            with console_client(app, token) as console:
                csrf = csrf_of(console, "/console/search")
                for pair in world:
                    by_api = refused(pair.api(api, {"Authorization": f"Bearer {token}"}))
                    by_console = refused(pair.console(console, csrf))
                    if by_api != by_console:
                        disagreements.append((role.value, pair.name, by_api, by_console))
    assert disagreements == []


def test_the_console_lets_no_subscriber_or_integration_token_in(
    app: App, client: TestClient, worker: Worker, lines: Lines, world: list[Pair]
) -> None:
    subscriber = sign_in(client, app, worker, lines.clean)["Authorization"].split()[1]
    integration = staff_token(app, Role.INTEGRATION, scopes=frozenset(Scope))
    for token in (subscriber, integration):
        with new_client(app) as browser:
            csrf = csrf_of(browser, "/console")
            refused = browser.post("/console/sign-in", data={"token": token, "csrf": csrf})
            assert refused.status_code == 401
        # Nor does a token planted as the cookie: the console knows only its own sessions.
        with new_client(app) as console:
            console.cookies.set("lc_staff", token)
            for pair in world:
                answer = pair.console(console, "")
                assert answer.status_code == 303 and answer.headers["location"] == "/console"


def test_every_api_route_is_guarded_by_one_of_the_access_rules(app: App) -> None:
    """A route with its own role list would let the API and the pages drift apart again."""
    rules = {(r.roles, r.scopes) for r in RULES.values()}
    strays = []
    for route, method in api_routes(create_app(app)):
        policy = _policy(route)
        assert policy is not None, f"{method} {route.path} has no access policy"
        if policy.public or (route.path in SELF_ONLY and policy.roles == frozenset(SUBSCRIBER)):
            continue
        if (policy.roles, policy.scopes) not in rules:
            strays.append(f"{method} {route.path}")
    assert strays == []
