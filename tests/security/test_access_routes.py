"""Broken-access tests over every API route, read from the app itself: a route added without an
`allow(...)` or `public(...)` policy fails here, and each policy is tried against every other
role, anonymously and as another subscriber."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.services.context import Role, Scope
from lineclose.services.identity import create_staff_token
from lineclose.web.api.deps import POLICY_ATTRIBUTE, Policy
from lineclose.worker.dispatcher import Worker
from tests.api.helpers import sign_in
from tests.factories import make_line, make_operator

API_PREFIXES = ("/api/", "/number-recycling/", "/tmf-api/")
# Gateway callbacks authenticate with a shared secret, not a caller's token (see sms_hooks).
SECRET_CHECKED = ("/api/v1/sms/",)
# Routes acting on the caller's own session only: there is no other subscriber's thing to reach.
# CAMARA's three-legged token names its own number and refuses any other identifier (422).
SELF_ONLY = {
    "/api/v1/auth/sign-out",
    "/api/v1/auth/password",
    "/api/v1/me/language",
    "/number-recycling/v0.2/check",
}
STAFF_ROLES = (Role.AGENT, Role.REVIEWER, Role.SUPERVISOR, Role.ADMIN)


def _policy(route: APIRoute) -> Policy | None:
    stack = list(route.dependant.dependencies)
    while stack:
        dependency = stack.pop()
        found = getattr(dependency.call, POLICY_ATTRIBUTE, None)
        if isinstance(found, Policy):
            return found
        stack.extend(dependency.dependencies)
    return None


def _flatten(routes: list[Any]) -> Iterator[APIRoute]:
    """Routes of the app and of every included router (recent FastAPI keeps them nested)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        nested = getattr(route, "original_router", None) or getattr(route, "router", None)
        if nested is not None and hasattr(nested, "routes"):
            yield from _flatten(list(nested.routes))


def api_routes(api: FastAPI) -> Iterator[tuple[APIRoute, str]]:
    for route in _flatten(list(api.routes)):
        if isinstance(route, APIRoute) and route.path.startswith(API_PREFIXES):
            if route.path.startswith(SECRET_CHECKED):
                continue
            for method in sorted(route.methods):
                yield route, method


@dataclass
class World:
    msisdn: str
    reference: str
    bill_id: int
    binding_id: int
    certificate: str
    owner: dict[str, str]
    other: dict[str, str]
    staff: dict[Role, dict[str, str]]


def _token(app: App, role: Role, scopes: frozenset[Scope] = frozenset()) -> dict[str, str]:
    with app.sessions.begin() as session:
        token = create_staff_token(
            session, app.deps.clock.now(), f"{role.value}-{len(scopes)}", role, scopes=scopes
        )
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def world(app: App, client: TestClient, worker: Worker) -> World:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn")
        owned = make_line(
            session,
            app.deps,
            operator,
            unpaid_bills=[(500, app.deps.clock.now().date() - timedelta(days=3))],
            bindings=[{"service": "Alipay", "category": "payment"}],
        )
        stranger = make_line(session, app.deps, operator)
        mine, theirs = owned.msisdn, stranger.msisdn
        bill_id = session.query(models.Bill.id).filter_by(line_id=owned.id).scalar()
        binding_id = session.query(models.Binding.id).filter_by(line_id=owned.id).scalar()
    owner = sign_in(client, app, worker, mine)
    other = sign_in(client, app, worker, theirs)
    submitted = client.post(
        "/api/v1/closure-requests",
        json={"msisdn": mine, "alternate_contact": "me@example.org"},
        headers=owner,
    )
    assert submitted.status_code == 201, submitted.text
    reference = submitted.json()["reference"]
    with app.sessions.begin() as session:
        request = session.query(models.ClosureRequest).filter_by(reference=reference).one()
        session.add(
            models.Certificate(
                request_id=request.id,
                code="TESTCERT01",
                issued_at=app.deps.clock.now(),
                content={"reference": reference},
            )
        )
    return World(
        mine,
        reference,
        bill_id,
        binding_id,
        "TESTCERT01",
        owner,
        other,
        {role: _token(app, role) for role in STAFF_ROLES},
    )


def _url(path: str, w: World) -> str:
    values = {
        "msisdn": w.msisdn,
        "reference": w.reference,
        "order_id": w.reference,
        "bill_id": str(w.bill_id),
        "binding_id": str(w.binding_id),
        "code": w.certificate,
        "row_id": "1",
        "country": "CN",
        "cancel_id": "no-such-cancel",
        "subscription_id": "999",
        "service": "Alipay",
        "end_to_end_id": "LC-2026-NONE-1",
        "operator": "op-none",
        "currency": "EUR",
        "token": "not-a-token",
        "pay_reference": "PAY-NONE",
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def _body(path: str, w: World) -> dict[str, Any]:
    new_password = "Zq7-long-enough"
    bodies: dict[str, dict[str, Any]] = {
        "/api/v1/precheck": {"msisdn": w.msisdn},
        "/api/v1/closure-requests": {"msisdn": w.msisdn},
        "/api/v1/lines/{msisdn}/bills/{bill_id}/payments": {"amount_minor": 500, "reference": "p"},
        "/api/v1/closure-requests/{reference}/reject": {"reasons": [{"code": "OTHER"}]},
        "/api/v1/closure-requests/{reference}/assign": {"reviewer": "reviewer-0"},
        "/api/v1/auth/password": {"new_password": new_password},
        "/api/v1/auth/password/store-reset": {
            "msisdn": w.msisdn,
            "id_document_seen": True,
            "document_kind": "resident_id",
            "new_password": new_password,
        },
        "/api/v1/calendars/{country}": {"days": [{"day": "2026-12-01", "working": True}]},
        "/number-recycling/v0.2/check": {"phoneNumber": w.msisdn, "specifiedDate": "2026-01-01"},
        "/tmf-api/productOrderingManagement/v4/cancelProductOrder": {
            "productOrder": {"id": w.reference}
        },
        "/tmf-api/productOrderingManagement/v4/productOrder": {
            "productOrderItem": [
                {
                    "id": "1",
                    "action": "delete",
                    "product": {"productCharacteristic": [{"name": "msisdn", "value": w.msisdn}]},
                }
            ]
        },
    }
    return bodies.get(path, {})


def _call(
    client: TestClient, method: str, route: APIRoute, w: World, headers: dict[str, str]
) -> int:
    kwargs: dict[str, Any] = {"headers": headers}
    if method in ("POST", "PUT", "PATCH"):
        kwargs["json"] = _body(route.path, w)
    return client.request(method, _url(route.path, w), **kwargs).status_code


def test_every_api_route_declares_who_may_call_it(client: TestClient) -> None:
    assert len(list(api_routes(client.app))) >= 25  # type: ignore[arg-type]
    missing = [
        f"{method} {route.path}"
        for route, method in api_routes(client.app)  # type: ignore[arg-type]
        if _policy(route) is None
    ]
    assert missing == [], "give these routes an allow(...) or public(...) policy"


def test_every_non_public_route_refuses_an_anonymous_caller(
    client: TestClient, world: World
) -> None:
    let_in = []
    for route, method in api_routes(client.app):  # type: ignore[arg-type]
        policy = _policy(route)
        if policy is None or policy.public:
            continue
        status = _call(client, method, route, world, {})
        if status != 401:
            let_in.append((method, route.path, status))
    assert let_in == []


def test_every_route_refuses_each_role_it_does_not_allow(
    app: App, client: TestClient, world: World
) -> None:
    let_in = []
    integration_tokens: dict[frozenset[Scope], dict[str, str]] = {}
    for route, method in api_routes(client.app):  # type: ignore[arg-type]
        policy = _policy(route)
        if policy is None or policy.public:
            continue
        callers: list[tuple[str, dict[str, str]]] = [
            (role.value, world.staff[role]) for role in STAFF_ROLES if role not in policy.roles
        ]
        if Role.SUBSCRIBER not in policy.roles:
            callers.append(("subscriber", world.owner))
        other_scopes = frozenset(Scope) - policy.scopes
        if other_scopes:
            if other_scopes not in integration_tokens:
                integration_tokens[other_scopes] = _token(app, Role.INTEGRATION, other_scopes)
            callers.append(("integration", integration_tokens[other_scopes]))
        for who, headers in callers:
            status = _call(client, method, route, world, headers)
            if status != 403:
                let_in.append((method, route.path, who, status))
    assert let_in == []


def test_no_route_lets_a_subscriber_reach_another_subscribers_line_or_request(
    client: TestClient, world: World
) -> None:
    reached = []
    tried = 0
    for route, method in api_routes(client.app):  # type: ignore[arg-type]
        policy = _policy(route)
        if policy is None or Role.SUBSCRIBER not in policy.roles or route.path in SELF_ONLY:
            continue
        tried += 1
        status = _call(client, method, route, world, world.other)
        # TMF622 answers a create naming an unknown line 400, as its specification documents.
        refused = (403, 404, 400) if route.path.startswith("/tmf-api") else (403, 404)
        if status not in refused:
            reached.append((method, route.path, status))
    assert tried >= 10
    assert reached == []


def test_an_integration_token_does_only_what_its_scopes_say(
    app: App, client: TestClient, world: World
) -> None:
    precheck_only = _token(app, Role.INTEGRATION, frozenset({Scope.PRECHECK}))
    allowed = client.post("/api/v1/precheck", json={"msisdn": world.msisdn}, headers=precheck_only)
    assert allowed.status_code == 200, allowed.text
    refused = client.post(
        "/api/v1/closure-requests", json={"msisdn": world.msisdn}, headers=precheck_only
    )
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
