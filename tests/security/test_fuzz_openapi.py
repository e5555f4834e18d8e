"""The API fuzzed from its own OpenAPI document: no input may cause a server error, and (once every
route declares its responses) no response may differ from what the document says.

Bounded for `make test`: EXAMPLES_PER_OPERATION generated cases per operation, each sent with a
staff, a subscriber and an integration credential, and a TIME_BUDGET_SECONDS cap on the whole run
(operations not reached in time are named in the failure, so the cap cannot hide them).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pydantic import SecretStr
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lineclose.bootstrap import App, bootstrap
from lineclose.config import Settings
from lineclose.ports.clock import FrozenClock
from lineclose.services.context import Role, Scope
from lineclose.services.identity import create_staff_token
from lineclose.web.app import create_app
from lineclose.worker.dispatcher import Worker
from tests.api.helpers import sign_in, staff
from tests.factories import make_line, make_operator

# Turn on once every route declares its response model and its error statuses: then a response
# whose status or body the document does not describe fails the suite too.
STRICT_RESPONSE_CONFORMANCE = True
EXAMPLES_PER_OPERATION = 3
TIME_BUDGET_SECONDS = 150
# Operations still answering 500 on out-of-range input until web/api/bounds.py is applied to them
# (their code is being reworked elsewhere); each entry is a known failure, empty it when fixed.
KNOWN_SERVER_ERRORS: frozenset[str] = frozenset()


@dataclass
class Findings:
    failures: list[str] = field(default_factory=list)
    calls: int = 0


@pytest.fixture
def settings_for_fuzzing(settings: Settings) -> Settings:
    # With the gateway secret unset the SMS callbacks answer 503 on purpose (misconfigured).
    return settings.model_copy(update={"sms_callback_secret": SecretStr("fuzz-callback-secret")})


@pytest.fixture
def app_for_fuzzing(settings_for_fuzzing: Settings, clock: FrozenClock) -> Iterator[App]:
    wired = bootstrap(settings_for_fuzzing, clock)
    yield wired
    wired.engine.dispose()


@pytest.fixture
def fuzz_target(
    app_for_fuzzing: App,
) -> Iterator[tuple[App, TestClient, dict[str, dict[str, str]]]]:
    app = app_for_fuzzing
    worker = Worker(app.sessions, app.deps, name="fuzz-worker")
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn")
        line = make_line(session, app.deps, operator)
        integration = create_staff_token(
            session,
            app.deps.clock.now(),
            "fuzz-integration",
            Role.INTEGRATION,
            operator_id=operator.id,
            scopes=frozenset(Scope),
        )
    with TestClient(create_app(app)) as client:
        credentials = {
            "staff": staff(app, Role.ADMIN, "fuzz-admin"),
            "subscriber": sign_in(client, app, worker, line.msisdn),
            "integration": {"Authorization": f"Bearer {integration}"},
        }
        yield app, client, credentials


def _checks() -> list[Any]:
    if STRICT_RESPONSE_CONFORMANCE:
        return [
            not_a_server_error,
            status_code_conformance,
            response_schema_conformance,
            content_type_conformance,
        ]
    return [not_a_server_error]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_generated_input_makes_the_api_fail(
    fuzz_target: tuple[App, TestClient, dict[str, dict[str, str]]],
) -> None:
    _, client, credentials = fuzz_target
    api = client.app
    schema = schemathesis.openapi.from_dict(api.openapi())  # type: ignore[attr-defined]
    schema.app = api
    findings = Findings()
    deadline = time.monotonic() + TIME_BUDGET_SECONDS
    not_reached: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        label = operation.label
        if time.monotonic() > deadline:
            not_reached.append(label)
            continue

        _fuzz_operation(operation, credentials, findings, label)
    unexpected = [f for f in findings.failures if f.split(" | ")[0] not in KNOWN_SERVER_ERRORS]
    assert not not_reached, f"time budget spent before these operations: {not_reached}"
    assert not unexpected, f"{len(unexpected)} failures in {findings.calls} calls:\n" + "\n".join(
        unexpected
    )


def _fuzz_operation(
    operation: Any, credentials: dict[str, dict[str, str]], findings: Findings, label: str
) -> None:
    @hypothesis_settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), who=st.sampled_from(sorted(credentials)))
    def run(case: Any, who: str) -> None:
        findings.calls += 1
        try:
            case.call_and_validate(headers=dict(credentials[who]), checks=_checks())
        except (Exception, BaseExceptionGroup) as exc:  # keep going, report them all at the end
            findings.failures.append(f"{label} | as {who} | {str(exc)[:400]}")

    run()


def test_the_harness_reports_a_server_error() -> None:
    """The fuzzer would fail the suite on a 500: proven on a route that always fails."""
    api = FastAPI()

    @api.get("/broken/{n}")
    def broken(n: int) -> dict[str, int]:
        raise RuntimeError("broken on purpose")

    schema = schemathesis.openapi.from_dict(api.openapi())
    schema.app = api
    findings = Findings()
    for result in schema.get_all_operations():
        operation = result.ok()
        _fuzz_operation(operation, {"anonymous": {}}, findings, operation.label)
    assert findings.calls >= 1
    # The in-process transport re-raises the route's exception; over HTTP it would be a 500.
    assert len(findings.failures) == findings.calls
    assert all("broken on purpose" in f or "Server error" in f for f in findings.failures)
