"""Staff tokens expire, can be revoked, record their last use; the console signs in to a
session of its own and signing out ends it on the server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.errors import InvalidInput
from lineclose.ports.clock import FrozenClock
from lineclose.services.context import Role
from lineclose.services.identity import create_staff_token, revoke_staff_token, token_cache
from lineclose.services.reads.tokens import list_tokens

SEARCH = "/api/v1/closure-requests"


def new_token(app: App, name: str, expires_in: timedelta | None = None) -> str:
    with app.sessions.begin() as session:
        return create_staff_token(
            session, app.deps.clock.now(), name, Role.REVIEWER, expires_in=expires_in
        )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def last_used(app: App, name: str) -> object:
    with app.sessions() as session:
        return session.execute(
            select(models.ApiToken.last_used_at).where(models.ApiToken.name == name)
        ).scalar_one()


def test_a_token_is_refused_once_it_expires_and_records_its_last_use_once_a_minute(
    app: App, client: TestClient, clock: FrozenClock
) -> None:
    token = new_token(app, "short-lived", timedelta(days=1))
    assert last_used(app, "short-lived") is None
    first_use = clock.now()
    assert client.get(SEARCH, headers=bearer(token)).status_code == 200
    assert last_used(app, "short-lived") == first_use  # recorded though the call only read
    clock.advance(timedelta(seconds=30))
    assert client.get(SEARCH, headers=bearer(token)).status_code == 200
    assert last_used(app, "short-lived") == first_use  # not again within the minute
    clock.advance(timedelta(seconds=31))
    assert client.get(SEARCH, headers=bearer(token)).status_code == 200
    assert last_used(app, "short-lived") == clock.now()

    clock.advance(timedelta(days=1))
    refused = client.get(SEARCH, headers=bearer(token))
    assert refused.status_code == 401
    with app.sessions() as session:
        (row,) = list_tokens(session, clock.now(), include_ended=True)
    assert row.state == "expired" and row.masked == token[:8] + "…"
    assert token not in repr(row)


def test_a_revoked_token_is_refused_at_once(app: App, client: TestClient) -> None:
    token = new_token(app, "leaver", timedelta(days=90))
    assert client.get(SEARCH, headers=bearer(token)).status_code == 200
    with app.sessions.begin() as session:
        token_id = session.execute(
            select(models.ApiToken.id).where(models.ApiToken.name == "leaver")
        ).scalar_one()
        revoke_staff_token(session, app.deps.clock.now(), token_id, "admin:test")
    assert client.get(SEARCH, headers=bearer(token)).status_code == 401


def test_a_token_revoked_by_another_process_is_refused_within_seconds(
    app: App, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API remembers a staff token for `token_cache.CACHE_SECONDS`; a revocation written by
    another process (the command line) is heard once that lapses."""
    monkeypatch.setattr(token_cache, "CACHE_SECONDS", 3600.0)
    token = new_token(app, "leaver", timedelta(days=90))
    assert client.get(SEARCH, headers=bearer(token)).status_code == 200
    with app.sessions.begin() as session:
        session.execute(
            update(models.ApiToken)
            .where(models.ApiToken.name == "leaver")
            .values(revoked_at=app.deps.clock.now())
        )
    assert client.get(SEARCH, headers=bearer(token)).status_code == 200  # still remembered
    monkeypatch.setattr(token_cache, "CACHE_SECONDS", 0.0)
    assert client.get(SEARCH, headers=bearer(token)).status_code == 401


def test_a_token_cannot_be_made_already_expired(app: App) -> None:
    with app.sessions() as session, pytest.raises(InvalidInput):
        create_staff_token(session, app.deps.clock.now(), "x", Role.AGENT, expires_in=timedelta(0))


def sign_in_to_console(app: App, token: str) -> tuple[TestClient, str]:
    from tests.pages.conftest import csrf_of, new_client

    client = new_client(app)
    csrf = csrf_of(client, "/console")
    answer = client.post("/console/sign-in", data={"token": token, "csrf": csrf})
    assert answer.status_code == 303, answer.text
    cookie = answer.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    return client, client.cookies["lc_staff"]


# Console pages run on SQLite only, as in tests/pages; the API tests cover both backends.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_console_holds_a_session_of_its_own_and_signing_out_ends_it(app: App) -> None:
    from tests.pages.conftest import csrf_of, new_client

    token = new_token(app, "console-user", timedelta(days=90))
    client, console_id = sign_in_to_console(app, token)
    assert console_id != token and token not in console_id and console_id.startswith("lcc_")
    assert client.get("/console/queue").status_code == 200

    csrf = csrf_of(client, "/console/queue")
    assert client.post("/console/sign-out", data={"csrf": csrf}).status_code == 303
    # The old session id, replayed by whoever copied it, no longer signs anyone in.
    with new_client(app) as replay:
        replay.cookies.set("lc_staff", console_id)
        assert replay.get("/console/queue").headers.get("location") == "/console"
    with app.sessions() as session:
        actions = list(
            session.execute(
                select(models.AuditEntry.action).where(
                    models.AuditEntry.entity_id == "console-user"
                )
            ).scalars()
        )
    assert actions[-2:] == ["console.signed_in", "console.signed_out"]


# Console pages run on SQLite only, as in tests/pages; the API tests cover both backends.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_revoking_or_expiring_a_token_ends_its_console_sessions(
    app: App, clock: FrozenClock
) -> None:
    revoked = new_token(app, "revoked-user", timedelta(days=90))
    expiring = new_token(app, "expiring-user", timedelta(hours=1))
    by_revoke, _ = sign_in_to_console(app, revoked)
    by_expiry, _ = sign_in_to_console(app, expiring)
    with app.sessions.begin() as session:
        token_id = session.execute(
            select(models.ApiToken.id).where(models.ApiToken.name == "revoked-user")
        ).scalar_one()
        revoke_staff_token(session, clock.now(), token_id, "admin:test")
    assert by_revoke.get("/console/queue").headers.get("location") == "/console"
    assert by_expiry.get("/console/queue").status_code == 200
    clock.advance(timedelta(hours=1))
    assert by_expiry.get("/console/queue").headers.get("location") == "/console"
