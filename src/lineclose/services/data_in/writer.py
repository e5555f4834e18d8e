"""Set-based writes for bulk data: one driver-level executemany on SQLite; on PostgreSQL the
rows are COPYed into a temporary staging table and merged with one statement.

These writes skip the ORM and SQLAlchemy's per-row statement processing on purpose, for speed:
each column's bind processor (dates, UTC datetimes, JSON) is looked up once per statement and
applied to that column only, then the rows go to the driver as plain tuples.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Table, func, select, text
from sqlalchemy.orm import Session

from lineclose.db import json_codec

_stage_names = itertools.count(1)


class JsonText(str):
    """A value already serialized as JSON: written as it is into a JSON column."""


def lock_operator(session: Session, operator_id: int) -> None:
    """Take the write lock first: one import per operator at a time, and on SQLite the
    database's own write lock, so the ids read next are ours."""
    session.execute(text("UPDATE operators SET code = code WHERE id = :id"), {"id": operator_id})


def allocate_ids(session: Session, table: Table, count: int) -> list[int]:
    """Ids for rows about to be inserted, so dependants can refer to them in the same batch."""
    if count == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
            {"t": table.name, "n": count},
        ).scalars()
        return [int(r) for r in rows]
    start = int(session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one())
    return list(range(start + 1, start + 1 + count))


def _copy_converters(table: Table, columns: list[str]) -> list[Callable[[Any], Any] | None]:
    """How each column's values are written on COPY (naive UTC datetimes, JSON as text),
    decided once per statement from the column's type."""
    converters: list[Callable[[Any], Any] | None] = []
    for column in columns:
        kind = table.c[column].type
        if isinstance(kind, JSON):
            converters.append(
                lambda v: (
                    str(v) if type(v) is JsonText else None if v is None else json_codec.dumps(v)
                )
            )
        elif isinstance(getattr(kind, "impl", kind), DateTime):
            converters.append(
                lambda v: v.astimezone(UTC).replace(tzinfo=None) if isinstance(v, datetime) else v
            )
        else:
            converters.append(None)
    return converters


def _driver_tuples(
    session: Session, table: Table, columns: list[str], rows: Sequence[dict[str, Any]]
) -> list[tuple[Any, ...]]:
    """The rows as the driver takes them, converted by each column type's own bind processor."""
    dialect = session.get_bind().dialect
    processors = [dialect.type_descriptor(table.c[c].type).bind_processor(dialect) for c in columns]
    plain = [i for i, p in enumerate(processors) if p is None]
    if len(plain) == len(columns):
        return [tuple(row[c] for c in columns) for row in rows]
    converted = [(i, p) for i, p in enumerate(processors) if p is not None]
    # The same object down a column (the batch's `now`, a shared default) is converted once.
    last_in: list[Any] = [_NOTHING] * len(columns)
    last_out: list[Any] = [None] * len(columns)
    out = []
    for row in rows:
        values = [row[c] for c in columns]
        for i, process in converted:
            value = values[i]
            if value is not last_in[i]:
                last_in[i] = value
                last_out[i] = str(value) if type(value) is JsonText else process(value)
            values[i] = last_out[i]
        out.append(tuple(values))
    return out


_NOTHING = object()


def _executemany(session: Session, sql: str, params: list[tuple[Any, ...]]) -> None:
    session.connection().exec_driver_sql(sql, params)


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        columns = list(rows[0])
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        _executemany(
            session,
            f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})',
            _driver_tuples(session, table, columns, rows),
        )
        return
    _copy(session, table, f'"{table.name}"', list(rows[0]), rows)


def update_rows(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], key: str = "id"
) -> None:
    """Update each row found by `key` with the other columns given (the same set for every row)."""
    if not rows:
        return
    columns = [c for c in rows[0] if c != key]
    if session.get_bind().dialect.name != "postgresql":
        sets = ", ".join(f'"{c}" = ?' for c in columns)
        _executemany(
            session,
            f'UPDATE "{table.name}" SET {sets} WHERE "{key}" = ?',
            _driver_tuples(session, table, [*columns, key], rows),
        )
        return
    stage = _copy_to_stage(session, table, [key, *columns], rows)
    sets = ", ".join(f'"{c}" = s."{c}"' for c in columns)
    session.execute(
        text(f'UPDATE "{table.name}" t SET {sets} FROM {stage} s WHERE t."{key}" = s."{key}"')
    )
    session.execute(text(f"DROP TABLE {stage}"))


def _copy_to_stage(
    session: Session, table: Table, columns: list[str], rows: Sequence[dict[str, Any]]
) -> str:
    stage = f"lc_stage_{table.name}_{next(_stage_names)}"
    names = ", ".join(f'"{c}"' for c in columns)
    session.execute(
        text(
            f'CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT {names} FROM "{table.name}" '
            "WITH NO DATA"
        )
    )
    _copy(session, table, stage, columns, rows)
    return stage


def _copy(
    session: Session, table: Table, target: str, columns: list[str], rows: Sequence[dict[str, Any]]
) -> None:
    """COPY the rows into `target` (the table itself for inserts: constraints and defaults
    hold as for an INSERT, without a staging table in between)."""
    names = ", ".join(f'"{c}"' for c in columns)
    raw = session.connection().connection.driver_connection
    assert raw is not None
    converters = [(i, c) for i, c in enumerate(_copy_converters(table, columns)) if c is not None]
    last_in: list[Any] = [_NOTHING] * len(columns)
    last_out: list[Any] = [None] * len(columns)
    with raw.cursor() as cursor, cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
        for row in rows:
            values = [row[c] for c in columns]
            for i, convert in converters:
                value = values[i]
                if value is not last_in[i]:
                    last_in[i] = value
                    last_out[i] = convert(value)
                values[i] = last_out[i]
            copy.write_row(values)
