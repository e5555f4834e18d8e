"""Bulk paths: precheck of a whole operator, and a fleet closure (submit, then execution),
each against raw DBAPI work on the same rows."""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import Figure, migrated_app, scratch_database, seed_lines, timed
from sqlalchemy import Engine, create_engine, func, insert, select

from lineclose.bootstrap import App
from lineclose.cli.bulk import run_close
from lineclose.db import models
from lineclose.db.migrate import upgrade
from lineclose.services.bulk import bulk_precheck
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.fleet import batches, submission
from lineclose.services.fleet.rows import parse_rows
from lineclose.worker.dispatcher import Worker

FLEET_LOADER = Actor(Role.AGENT, "bench-loader", Channel.BULK)
FLEET_REVIEWER = Actor(Role.REVIEWER, "bench-reviewer", Channel.API)

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


def _fleet_file(app: App, folder: Path, cards: int) -> tuple[str, float, str]:
    """`cards` lines of their own listed in a file (a tenth closing on a later date), loaded and
    prechecked as one batch and approved as a whole; returns the batch, the load time and the
    loading actor's label."""
    _, lines = seed_lines(app, cards, first=10_000_000)
    with app.sessions() as session:
        listed = session.execute(
            select(models.Line.imsi, models.Line.msisdn).where(models.Line.fleet_account.is_(None))
        ).all()
    for imsi, msisdn in listed:
        app.deps.hlr.create_subscriber(imsi, msisdn)  # type: ignore[attr-defined]
    later = (datetime.now(UTC).date() + timedelta(days=40)).isoformat()
    path = folder / "fleet.csv"
    path.write_text(
        "card,requested_date\n"
        + "".join(f"{m},{later if n % 10 == 0 else ''}\n" for n, (_, m) in enumerate(lines)),
        encoding="utf-8",
    )
    reference = ""

    def load() -> None:
        nonlocal reference
        with app.sessions() as session:
            operator = session.execute(select(models.Operator.code)).scalars().first()
        assert operator is not None
        parsed = parse_rows(path.read_text(encoding="utf-8").splitlines(keepends=True), "CN")
        with app.sessions.begin() as session:
            reference = batches.load(
                session,
                app.deps,
                FLEET_LOADER,
                operator,
                parsed,
                batches.FleetAuthorisation("it@example.org", "board resolution 2026-14"),
                "6222020200112233445",
            ).batch.reference

    seconds = timed(load)
    with app.sessions.begin() as session:
        batches.decide(session, app.deps, FLEET_REVIEWER, reference, True)
    return reference, seconds, FLEET_LOADER.label


def _submit_fleet(app: App, reference: str) -> int:
    """The submit phase of a fleet file: the approved cards, a chunk per transaction."""
    done = 0
    while True:
        with app.sessions.begin() as session:
            handled = submission.submit_next(session, app.deps, FLEET_LOADER, reference)
        if not handled:
            return done
        done += handled


def close(kind: str, folder: Path, cards: int) -> dict[str, Figure]:
    """A fleet account closed through `lineclose bulk close`'s code, and a fleet file of as many
    cards loaded, approved as a batch and submitted; then the execution of the approved cards by
    one worker (skipped with BENCH_CLOSE_EXECUTE=0). Each phase against raw executemany of
    the rows it wrote."""
    execute = os.environ.get("BENCH_CLOSE_EXECUTE", "1") != "0"
    with (
        scratch_database(kind, folder, "close") as url,
        scratch_database(kind, folder, "raw") as raw_url,
        scratch_database(kind, folder, "rawfleet") as raw_fleet_url,
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
        outcome: Counter[str] = Counter()

        def bulk_close() -> None:
            outcome.update(
                run_close(app, code, "FLEET-1", "6222020200112233445", "it@example.org", "bench")
            )

        submit_time = timed(bulk_close)
        submitted = _written_since(app.engine, before)
        if execute:
            # Those requests wait for review: their intake notices are sent here, so the
            # execution phase below times the fleet's approved cards alone.
            Worker(app.sessions, app.deps, name="bench-intake").run_until_idle()
        reference, load_time, _ = _fleet_file(app, folder, cards)
        before_fleet = _max_ids(app.engine)
        fleet_done = 0

        def fleet_submit() -> None:
            nonlocal fleet_done
            fleet_done = _submit_fleet(app, reference)

        fleet_time = timed(fleet_submit)
        fleet_rows = _written_since(app.engine, before_fleet)
        before_execution = _max_ids(app.engine)
        execution_time = 0.0
        if execute:
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
        raw_fleet = _replay(raw_fleet_url, fleet_rows, parents)
    figures = {}
    rows_submit = sum(len(v) for v in submitted.values())
    rows_fleet = sum(len(v) for v in fleet_rows.values())
    figures[f"bulk close submit, {cards:,} cards, {kind} (s)"] = Figure(
        submit_time,
        raw_submit,
        4.0,
        note=f"{cards / submit_time:,.0f} cards/s; baseline executemany of its {rows_submit:,} "
        f"rows; {dict(outcome.most_common(4))}",
    )
    figures[f"fleet file submit, {cards:,} cards, {kind} (s)"] = Figure(
        fleet_time,
        raw_fleet,
        4.0,
        note=f"{fleet_done:,} approved cards, {fleet_done / fleet_time:,.0f} cards/s; baseline "
        f"executemany of its {rows_fleet:,} rows; the file loaded and prechecked in "
        f"{load_time:.1f} s",
    )
    if execute:
        with scratch_database(kind, folder, "raw2") as raw_url:
            raw_execute = _replay(raw_url, executed, {**parents, "closure_requests": requests})
        rows_execute = sum(len(v) for v in executed.values())
        figures[f"bulk close execution, {cards:,} cards, {kind} (s)"] = Figure(
            execution_time,
            raw_execute,
            4.0,
            note=f"{closed:,} closed, {closed / execution_time:,.0f} cards/s; baseline "
            f"executemany of its {rows_execute:,} rows",
        )
    return figures
