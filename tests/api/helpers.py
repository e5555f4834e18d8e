"""Helpers shared by the API tests: staff tokens, signing in with the code the SMS carried."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from lineclose.bootstrap import App
from lineclose.services.context import Role
from lineclose.services.identity import create_staff_token
from lineclose.worker.dispatcher import Worker


def staff(app: App, role: Role, name: str | None = None) -> dict[str, str]:
    with app.sessions.begin() as session:
        token = create_staff_token(session, app.deps.clock.now(), name or f"{role.value}-1", role)
    return {"Authorization": f"Bearer {token}"}


def last_code(app: App) -> str:
    found = re.search(r"(?<!\d)(\d{6})(?!\d)", app.deps.sms.sent[-1].text)  # type: ignore[attr-defined]
    assert found, "the code SMS carries a six-digit code"
    return found.group(1)


def sign_in(client: TestClient, app: App, worker: Worker, msisdn: str) -> dict[str, str]:
    started = client.post("/api/v1/auth/otp", json={"msisdn": msisdn})
    assert started.status_code == 202, started.text
    worker.run_until_idle()
    verified = client.post(
        "/api/v1/auth/otp/verify",
        json={"challenge_id": started.json()["challenge_id"], "code": last_code(app)},
    )
    assert verified.status_code == 200, verified.text
    return {"Authorization": f"Bearer {verified.json()['access_token']}"}
