"""What the standards tests share: the specification files (read from ../shared/specs, never
copied), validators built from them, tokens, and a line closed through the real lifecycle."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from jsonschema import Draft4Validator, Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

from lineclose.bootstrap import App
from lineclose.services.context import Role, Scope
from lineclose.services.identity import create_staff_token
from lineclose.worker.dispatcher import Worker

ROOT = Path(__file__).resolve().parents[2]


def _specs_dir() -> Path:
    """LINECLOSE_SPECS_DIR, else `shared/specs` beside the project (or beside a parent folder
    holding it, as for a checkout inside a folder of worktrees)."""
    explicit = os.environ.get("LINECLOSE_SPECS_DIR")
    if explicit:
        return Path(explicit)
    for parent in ROOT.parents:
        if (parent / "shared" / "specs").is_dir():
            return parent / "shared" / "specs"
    return ROOT.parent / "shared" / "specs"


SPECS = _specs_dir()
TMF622 = SPECS / "tmf622" / "TMF622-ProductOrder-v4.0.0.swagger.json"
CAMARA = SPECS / "camara" / "API_definitions" / "number-recycling.yaml"

needs_tmf622 = pytest.mark.skipif(
    not TMF622.exists(),
    reason=f"TMF622 specification not found at {TMF622}: place the shared specs in "
    "../shared/specs beside the project or set LINECLOSE_SPECS_DIR",
)
needs_camara = pytest.mark.skipif(
    not CAMARA.exists(),
    reason=f"CAMARA specification not found at {CAMARA}: place the shared specs in "
    "../shared/specs beside the project or set LINECLOSE_SPECS_DIR",
)


@cache
def tmf_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(TMF622.read_text())
    return document


@cache
def camara_document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(CAMARA.read_text())
    return document


def tmf_validator(definition: str) -> Draft4Validator:
    resource = Resource.from_contents(tmf_document(), default_specification=DRAFT4)
    registry: Registry[Any] = Registry().with_resource("tmf622.json", resource)
    return Draft4Validator({"$ref": f"tmf622.json#/definitions/{definition}"}, registry=registry)


def camara_validator(pointer: str) -> Draft202012Validator:
    """`pointer` below the document root, e.g. `components/schemas/ErrorInfo`."""
    resource = Resource.from_contents(camara_document(), default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource("camara.yaml", resource)
    return Draft202012Validator({"$ref": f"camara.yaml#/{pointer}"}, registry=registry)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token(
    app: App,
    role: Role,
    operator_id: int | None = None,
    scopes: frozenset[Scope] = frozenset(),
    name: str | None = None,
) -> dict[str, str]:
    with app.sessions.begin() as session:
        raw = create_staff_token(
            session,
            app.deps.clock.now(),
            name or f"{role.value}-{operator_id}-{len(scopes)}",
            role,
            operator_id=operator_id,
            scopes=scopes,
        )
    return bearer(raw)


def close_line(app: App, client: TestClient, worker: Worker, msisdn: str) -> str:
    """Close a line the ordinary way (store agent, reviewer, worker); returns the reference."""
    agent = token(app, Role.AGENT, name="closing-agent")
    reviewer = token(app, Role.REVIEWER, name="closing-reviewer")
    submitted = client.post(
        "/api/v1/closure-requests",
        json={
            "msisdn": msisdn,
            "channel": "store",
            "alternate_contact": "old@example.org",
            "identity": [{"method": "id_document_seen"}],
        },
        headers=agent,
    )
    assert submitted.status_code in (200, 201), submitted.text
    reference: str = submitted.json()["reference"]
    approved = client.post(
        f"/api/v1/closure-requests/{reference}/approve", json={}, headers=reviewer
    )
    assert approved.status_code == 200, approved.text
    worker.run_until_idle()
    return reference
