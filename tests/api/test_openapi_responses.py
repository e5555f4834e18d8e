"""Every API route says in OpenAPI what it answers: its success body's schema and its refusals
as problem+json, so a client generated from /openapi.json knows both."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

API_PREFIXES = ("/api/", "/number-recycling/", "/tmf-api/")
# Standard endpoints refuse in their standard's own error shape, not problem+json.
PROBLEM_PREFIXES = ("/api/",)
NO_BODY = {"202", "204"}


def _operations(
    spec: dict[str, Any], prefixes: tuple[str, ...] = API_PREFIXES
) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, methods in spec["paths"].items()
        if path.startswith(prefixes)
        for method, operation in methods.items()
    ]


def test_every_api_route_documents_its_success_body(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    undocumented = []
    for method, path, operation in _operations(spec):
        success = {c: r for c, r in operation["responses"].items() if c.startswith("2")}
        if not success:
            # A method the resource refuses outright (TMF622 orders are never deleted).
            assert "405" in operation["responses"], f"{method} {path} documents no success"
        for code, response in success.items():
            if code in NO_BODY:
                continue
            content = response.get("content", {})
            schemas = [media.get("schema") for media in content.values()]
            binary = any(m != "application/json" for m in content)
            if not binary and not any(s and ("$ref" in s or "type" in s) for s in schemas):
                undocumented.append(f"{method} {path} {code}")
    assert undocumented == []


def test_every_api_route_documents_its_refusals_as_problem_json(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "Problem" in spec["components"]["schemas"]
    silent = []
    for method, path, operation in _operations(spec, PROBLEM_PREFIXES):
        refusals = {c: r for c, r in operation["responses"].items() if c.startswith("4")}
        problem_json = [
            c for c, r in refusals.items() if "application/problem+json" in r.get("content", {})
        ]
        if not problem_json:
            silent.append(f"{method} {path}")
    assert silent == []


def test_a_documented_refusal_is_what_the_route_answers(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    documented = spec["paths"]["/api/v1/closure-requests/{reference}"]["get"]["responses"]
    assert "401" in documented
    answer = client.get("/api/v1/closure-requests/LC-2026-AAAAAA")
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    fields = set(spec["components"]["schemas"]["Problem"]["properties"])
    assert set(answer.json()) <= fields
