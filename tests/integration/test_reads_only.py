"""Reads-only transactions: on SQLite they begin deferred and read-only, so they read their
snapshot while a writer holds the write lock, and cannot write; a write a reading call must keep
goes through a transaction of its own (`write_apart`), on both databases."""

from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import OperationalError

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.services.context import Channel, Role, Scope
from lineclose.services.identity import actor_from_token, create_staff_token
from lineclose.services.unit_of_work import reading_only, reads_only, write_apart
from tests.factories import make_line, make_operator


def _on_sqlite(app: App) -> None:
    if app.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")


def _operators(app: App) -> int:
    with app.sessions() as session:
        reads_only(session)
        return int(session.execute(select(func.count()).select_from(models.Operator)).scalar_one())


def test_a_reads_only_transaction_cannot_write_on_sqlite(app: App) -> None:
    _on_sqlite(app)
    with app.sessions.begin() as session:
        operator_id = make_operator(session, app.deps, "us").id
    with app.sessions() as session:
        reads_only(session)
        assert session.get(models.Operator, operator_id) is not None
        with pytest.raises(OperationalError, match="readonly"):
            session.execute(
                update(models.Operator).where(models.Operator.id == operator_id).values(name="x")
            )
        session.rollback()
        # the declaration lasted one transaction: the next one writes
        assert not reading_only(session)
        session.execute(
            update(models.Operator).where(models.Operator.id == operator_id).values(name="y")
        )
        session.commit()
        assert session.get(models.Operator, operator_id).name == "y"  # type: ignore[union-attr]


def test_reads_proceed_while_a_writer_holds_the_write_lock(app: App) -> None:
    _on_sqlite(app)
    with app.sessions.begin() as session:
        make_operator(session, app.deps, "us")
    counts: list[int] = []
    failures: list[BaseException] = []

    def read() -> None:
        try:
            counts.append(_operators(app))
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    with app.engine.connect() as writer:
        # BEGIN IMMEDIATE: the write lock is held until the rollback below
        writer.execute(text("UPDATE operators SET name = 'held'"))
        other = app.engine.raw_connection()
        try:
            other.driver_connection.execute("PRAGMA busy_timeout=0")  # type: ignore[union-attr]
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.driver_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
        finally:
            other.close()
        readers = [threading.Thread(target=read) for _ in range(4)]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join()
        writer.rollback()
    assert not failures
    assert counts == [1, 1, 1, 1]


def test_write_apart_commits_the_write_on_its_own_and_reads_only_again(app: App) -> None:
    with app.sessions.begin() as session:
        operator_id = make_operator(session, app.deps, "us").id
    with app.sessions() as session:
        reads_only(session)
        session.get(models.Operator, operator_id)
        with write_apart(session):
            session.execute(
                update(models.Operator).where(models.Operator.id == operator_id).values(name="w")
            )
        assert reading_only(session)
        session.rollback()
    with app.sessions() as session:
        assert session.get(models.Operator, operator_id).name == "w"  # type: ignore[union-attr]


def test_a_token_used_in_a_reading_call_records_its_use_apart(app: App) -> None:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "us")
        make_line(session, app.deps, operator)
        raw = create_staff_token(
            session,
            app.deps.clock.now(),
            "checker",
            Role.INTEGRATION,
            operator.id,
            frozenset({Scope.NUMBER_RECYCLING_CHECK}),
        )
    app.deps.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    with app.sessions() as session:
        reads_only(session)
        actor = actor_from_token(session, app.deps, raw, Channel.API)
        assert actor.role is Role.INTEGRATION
        assert reading_only(session)  # what follows the token check still reads only
        assert _operators(app) == 1
        session.rollback()
    with app.sessions() as session:
        used = session.execute(select(models.ApiToken.last_used_at)).scalar_one()
    assert used is not None
    assert used.replace(tzinfo=None) == app.deps.clock.now().replace(tzinfo=None)


def test_a_camara_check_reads_only_and_records_a_due_token_use_apart(
    app: App, client: TestClient
) -> None:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "us")
        msisdn = make_line(session, app.deps, operator).msisdn
        raw = create_staff_token(
            session,
            app.deps.clock.now(),
            "checker",
            Role.INTEGRATION,
            operator.id,
            frozenset({Scope.NUMBER_RECYCLING_CHECK}),
        )
    headers = {"Authorization": f"Bearer {raw}"}
    body = {"phoneNumber": msisdn, "specifiedDate": "2022-06-01"}
    for _ in range(2):  # the first records the token's use, the second finds it recorded
        answer = client.post("/number-recycling/v0.2/check", json=body, headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"phoneNumberRecycled": False}
    with app.sessions() as session:
        used = session.execute(select(models.ApiToken.last_used_at)).scalar_one()
    assert used is not None
    assert used.replace(tzinfo=None) == app.deps.clock.now().replace(tzinfo=None)
