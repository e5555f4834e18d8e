"""Bulk paths: precheck of a whole operator, and a fleet closure (submit, then execution),
each against raw DBAPI work on the same rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from common import Figure, migrated_app, scratch_database, seed_lines, timed
from sqlalchemy import Engine, create_engine, func, insert, select

from lineclose.cli.bulk import run_close
from lineclose.db import models
from lineclose.db.migrate import upgrade
from lineclose.services.bulk import bulk_precheck
from lineclose.services.closure import approve
from lineclose.services.context import Actor, Channel, Role
from lineclose.worker.dispatcher import Worker

# The tables a closure writes, in an order their foreign keys accept.
WRITTEN = (
    "closure_requests",
    "request_events",
    "audit_log",
    "outbox",
    "bills",
    "refund_instructions",
    "certificates",
    "disconnections",
)


def precheck(folder: Path, count: int) -> dict[str, Figure]:
    """Bulk precheck of `count` lines (SQLite) vs raw sqlite3 reads of the same rows."""
    with scratch_database("sqlite", folder, "bulk") as url:
        app = migrated_app(url)
        operator_id, _ = seed_lines(app, count)
        verdicts = 0

        def product() -> None:
            nonlocal verdicts
            with app.sessions() as session:
                operator = session.get(models.Operator, operator_id)
                assert operator is not None
                verdicts = sum(1 for _ in bulk_precheck(session, app.deps, operator))

        path = url.removeprefix("sqlite:///")

        def baseline() -> None:
            raw = sqlite3.connect(path)
            for table in ("lines", "bills", "bindings", "contracts", "orders", "closure_requests"):
                raw.execute(f"SELECT * FROM {table}").fetchall()
            raw.close()

        baseline()
        value, base = timed(product), timed(baseline)
        app.engine.dispose()
        assert verdicts == count
        return {
            f"bulk precheck, {count:,} lines, sqlite (s)": Figure(
                value, base, 4.0, note=f"{count / value:,.0f} lines/s; baseline raw sqlite3 reads"
            )
        }


def _max_ids(engine: Engine) -> dict[str, int]:
    tables = models.Base.metadata.tables
    with engine.connect() as connection:
        return {
            name: int(
                connection.execute(
                    select(func.coalesce(func.max(tables[name].c.id), 0))
                ).scalar_one()
            )
            for name in WRITTEN
        }


def _written_since(engine: Engine, before: dict[str, int]) -> dict[str, list[dict[str, Any]]]:
    tables = models.Base.metadata.tables
    with engine.connect() as connection:
        return {
            name: [
                dict(row)
                for row in connection.execute(
                    select(tables[name]).where(tables[name].c.id > before[name])
                ).mappings()
            ]
            for name in WRITTEN
        }


def _replay(
    url: str, rows: dict[str, list[dict[str, Any]]], parents: dict[str, list[dict[str, Any]]]
) -> float:
    """Raw DBAPI `executemany` of the same rows into an empty copy of the schema, in one
    transaction; the parents they reference are inserted first, outside the timing."""
    upgrade(url)
    engine = create_engine(url)
    tables = models.Base.metadata.tables
    with engine.begin() as connection:
        for name, batch in parents.items():
            if batch:
                connection.execute(insert(tables[name]), batch)
    prepared = []
    for name in WRITTEN:
        batch = rows[name]
        if not batch:
            continue
        table = tables[name]
        keys = [c.name for c in table.c if c.name in batch[0]]
        processors = {k: table.c[k].type.bind_processor(engine.dialect) for k in keys}
        sql = str(insert(table).values({k: None for k in keys}).compile(dialect=engine.dialect))
        if engine.dialect.paramstyle == "qmark":
            params: list[Any] = [
                tuple(processors[k](r[k]) if processors[k] else r[k] for k in keys) for r in batch
            ]
        else:
            params = [
                {k: _pg_value(processors[k](r[k]) if processors[k] else r[k]) for k in keys}
                for r in batch
            ]
        prepared.append((sql, params))
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()

        def go() -> None:
            for sql, params in prepared:
                cursor.executemany(sql, params)
            raw.commit()

        return timed(go)
    finally:
        raw.close()
        engine.dispose()


def _pg_value(value: Any) -> Any:
    """psycopg adapts JSON documents only when told they are JSON."""
    from psycopg.types.json import Json

    return Json(value) if isinstance(value, dict | list) else value


def close(kind: str, folder: Path, cards: int) -> dict[str, Figure]:
    """A fleet closure of `cards` cards through `lineclose bulk close`'s code, then its
    execution by one worker, each phase against raw executemany of the rows it wrote."""
    with (
        scratch_database(kind, folder, "close") as url,
        scratch_database(kind, folder, "raw") as raw_url,
    ):
        app = migrated_app(url)
        operator_id, _ = seed_lines(app, cards, fleet="FLEET-1")
        with app.sessions.begin() as session:
            operator = session.get(models.Operator, operator_id)
            assert operator is not None
            code = operator.code
        with app.sessions() as session:
            imsis = session.execute(select(models.Line.imsi, models.Line.msisdn)).all()
        for imsi, msisdn in imsis:
            app.deps.hlr.create_subscriber(imsi, msisdn)  # type: ignore[attr-defined]
        before = _max_ids(app.engine)
        submit_time = timed(
            lambda: run_close(
                app, code, "FLEET-1", "6222020200112233445", "it@example.org", "bench"
            )
        )
        submitted = _written_since(app.engine, before)
        reviewer = Actor(Role.REVIEWER, "bench-reviewer", Channel.API)
        with app.sessions() as session:
            references = list(
                session.execute(
                    select(models.ClosureRequest.reference).where(
                        models.ClosureRequest.status == "under_review"
                    )
                ).scalars()
            )
        for reference in references:
            with app.sessions.begin() as session:
                approve(session, app.deps, reviewer, reference)
        before_execution = _max_ids(app.engine)
        worker = Worker(app.sessions, app.deps, name="bench")
        execution_time = timed(worker.run_until_idle)
        executed = _written_since(app.engine, before_execution)
        with app.sessions() as session:
            closed = session.execute(
                select(func.count()).where(models.ClosureRequest.status == "closed")
            ).scalar_one()
        tables = models.Base.metadata.tables
        with app.engine.connect() as connection:
            parents = {
                name: [dict(r) for r in connection.execute(select(tables[name])).mappings()]
                for name in ("operators", "subscribers", "lines", "closure_requests")
            }
        requests = parents.pop("closure_requests")
        app.engine.dispose()
        raw_submit = _replay(raw_url, submitted, parents)
    with scratch_database(kind, folder, "raw2") as raw_url:
        raw_execute = _replay(raw_url, executed, {**parents, "closure_requests": requests})
    rows_submit = sum(len(v) for v in submitted.values())
    rows_execute = sum(len(v) for v in executed.values())
    return {
        f"bulk close submit, {cards:,} cards, {kind} (s)": Figure(
            submit_time,
            raw_submit,
            4.0,
            note=f"{cards / submit_time:,.0f} cards/s; baseline executemany of its {rows_submit:,} rows; "
            f"{len(references):,} under review",
        ),
        f"bulk close execution, {cards:,} cards, {kind} (s)": Figure(
            execution_time,
            raw_execute,
            4.0,
            note=f"{closed:,} closed, {closed / execution_time:,.0f} cards/s; baseline executemany "
            f"of its {rows_execute:,} rows",
        ),
    }
