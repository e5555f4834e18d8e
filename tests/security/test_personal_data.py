"""Personal data at rest and in logs, the audit chain, key rotation and retention erasure."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select, text
from typer.testing import CliRunner

from lineclose.bootstrap import App, bootstrap
from lineclose.cli.main import app as cli
from lineclose.config import Settings
from lineclose.db import models
from lineclose.ports.clock import FrozenClock
from lineclose.security.vault import new_key_line
from lineclose.services import keys, retention
from lineclose.services.context import Role
from lineclose.worker.dispatcher import Worker
from tests.api.helpers import sign_in, staff
from tests.conftest import TEST_KEYS
from tests.factories import HOLDER_ID, make_line, make_operator

ACCOUNT = "6222021234567890123"


def closed_line(app: App, **overrides: object) -> models.Line:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn")
        line = make_line(session, app.deps, operator, **overrides)
        line.status = "closed"
        line.closed_at = app.deps.clock.now()
        session.add(
            models.ClosureRequest(
                reference=f"LC-2026-T{line.id:05d}",
                operator_id=operator.id,
                line_id=line.id,
                status="closed",
                channel="online",
                submitted_by="subscriber:1",
                payload_digest="0" * 64,
                refund_account_enc=app.deps.vault.encrypt(ACCOUNT),
                alternate_contact_enc=app.deps.vault.encrypt("me@example.org"),
                submitted_at=line.closed_at,
                created_at=line.closed_at,
                updated_at=line.closed_at,
            )
        )
        session.flush()
        session.expunge(line)
    return line


def test_the_database_file_and_logs_hold_no_id_number_or_account_in_clear(
    app: App,
    client: TestClient,
    worker: Worker,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the file search reads the SQLite database file")
    caplog.set_level(logging.DEBUG)
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn")
        msisdn = make_line(session, app.deps, operator, paid_credit_minor=1_000).msisdn
    me = sign_in(client, app, worker, msisdn)
    submitted = client.post(
        "/api/v1/closure-requests",
        json={"msisdn": msisdn, "refund_account": ACCOUNT, "alternate_contact": "me@example.org"},
        headers=me,
    )
    assert submitted.status_code == 201, submitted.text
    assert ACCOUNT not in submitted.text and HOLDER_ID not in submitted.text
    worker.run_until_idle()
    logging.getLogger("lineclose.test").warning(
        "careless line: id %s account %s number %s", HOLDER_ID, ACCOUNT, msisdn
    )
    app.engine.dispose()
    path = Path(database_url.removeprefix("sqlite:///"))
    stored = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    for secret in (HOLDER_ID, ACCOUNT):
        assert secret.encode() not in stored
        assert secret not in caplog.text
    assert msisdn not in caplog.text


def test_a_tampered_audit_row_is_reported_by_the_cli(
    app: App, client: TestClient, worker: Worker, database_url: str
) -> None:
    for name in ("agent-1", "agent-2", "agent-3"):
        staff(app, Role.AGENT, name)
    env = {"LINECLOSE_DATABASE_URL": database_url, "LINECLOSE_DATA_KEYS": TEST_KEYS}
    runner = CliRunner()
    intact = runner.invoke(cli, ["audit", "verify"], env=env)
    assert intact.exit_code == 0, intact.output
    with app.engine.begin() as connection:
        second = connection.execute(text("SELECT id FROM audit_log ORDER BY id")).scalars().all()[1]
        connection.execute(
            text("UPDATE audit_log SET actor = 'someone:else' WHERE id = :id"), {"id": second}
        )
    broken = runner.invoke(cli, ["audit", "verify"], env=env)
    assert broken.exit_code == 1
    assert f"broken at entry {second}" in broken.output


def test_key_rotation_reencrypts_every_ciphertext_and_keeps_lookups(
    app: App, settings: Settings, clock: FrozenClock
) -> None:
    closed_line(app)
    rotated_settings = settings.model_copy(
        update={"data_keys": SecretStr(new_key_line("k2") + "," + TEST_KEYS)}
    )
    rotated = bootstrap(rotated_settings, clock)
    inspected = keys.reencrypt_all(rotated.sessions, rotated.deps.vault, batch_size=2)
    assert inspected > 0
    with rotated.sessions() as session:
        assert (
            keys.count_to_rotate(session, rotated.deps.vault)
            == session.execute(select(models.OutboxRow.id)).all().__len__()
        )
        subscriber = session.execute(select(models.Subscriber)).scalars().first()
        assert subscriber is not None and subscriber.id_number_enc is not None
        assert subscriber.id_number_enc.startswith("k2:")
        assert rotated.deps.vault.decrypt(subscriber.id_number_enc) == HOLDER_ID
        assert subscriber.id_number_index == rotated.deps.vault.blind_index(HOLDER_ID)
        for row in session.execute(select(models.OutboxRow.payload)).scalars():
            for name, value in row.items():
                if name.endswith("_enc"):
                    assert value.startswith("k2:")
    rotated.engine.dispose()


def test_retention_erases_on_the_boundary_day_and_not_one_day_before(
    app: App, clock: FrozenClock
) -> None:
    line = closed_line(app)
    days = 730  # cn: identity records kept 2 years after service ends
    clock.advance(timedelta(days=days - 1))
    with app.sessions.begin() as session:
        assert retention.sweep(session, app.deps).erased == []
        kept = session.get(models.Subscriber, line.subscriber_id)
        assert kept is not None and kept.id_number_enc is not None
    clock.advance(timedelta(days=1))
    with app.sessions.begin() as session:
        preview = retention.sweep(session, app.deps, dry_run=True)
        assert [e.subscriber_id for e in preview.erased] == [line.subscriber_id]
        still = session.get(models.Subscriber, line.subscriber_id)
        assert still is not None and still.id_number_enc is not None
    with app.sessions.begin() as session:
        report = retention.sweep(session, app.deps)
        assert [e.subscriber_id for e in report.erased] == [line.subscriber_id]
    with app.sessions() as session:
        gone = session.get(models.Subscriber, line.subscriber_id)
        assert gone is not None and gone.erased_at is not None
        assert (gone.name_enc, gone.id_number_enc, gone.id_number_index) == (None, None, None)
        request = session.execute(
            select(models.ClosureRequest).where(models.ClosureRequest.line_id == line.id)
        ).scalar_one()
        assert request.refund_account_enc is None and request.alternate_contact_enc is None
        entry = session.execute(
            select(models.AuditEntry).where(models.AuditEntry.action == "personal_data.erased")
        ).scalar_one()
        assert "id_number" in entry.details["fields"]


def test_retention_keeps_what_a_legal_hold_needs(app: App, clock: FrozenClock) -> None:
    line = closed_line(app, legal_hold=True)
    clock.advance(timedelta(days=4000))
    with app.sessions.begin() as session:
        report = retention.sweep(session, app.deps)
    assert report.erased == []
    assert [(k.subscriber_id, k.reason) for k in report.kept] == [
        (line.subscriber_id, "legal_hold")
    ]
