"""Writing many rows at once, each database on its fast path.

Inserts whose ids the caller needs draw the ids first, in one statement, then go like the
others: `COPY .. FROM STDIN` on PostgreSQL, one DBAPI `executemany` in the open transaction on
SQLite. Updates by primary key are one `executemany` of `UPDATE .. WHERE id = ?`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, text, update
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Session

from lineclose.db.among import among

# Below this many rows a COPY's own round trips cost more than the INSERT it replaces.
_COPY_FROM = 20


def _table(entity: type[DeclarativeBase]) -> Table:
    return cast(Table, entity.__table__)


def insert_returning_ids(
    session: Session, entity: type[DeclarativeBase], rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Insert `rows` with ids drawn for them at once, and return the ids in the same order.

    PostgreSQL draws them from the table's sequence (one statement); SQLite, whose writer holds
    the database's write lock for the whole transaction, counts on from the largest id. Either
    way the rows then go as one executemany, not one statement per page or per row."""
    if not rows:
        return []
    table = _table(entity)
    count = len(rows)
    if session.get_bind().dialect.name == "postgresql":
        ids = list(
            session.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                    "FROM generate_series(1, :count)"
                ),
                {"table": table.name, "count": count},
            ).scalars()
        )
    else:
        last = session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
        ids = list(range(int(last) + 1, int(last) + 1 + count))
    insert_rows(session, entity, [{**row, "id": i} for row, i in zip(rows, ids, strict=True)])
    return [int(i) for i in ids]


def insert_rows(
    session: Session, entity: type[DeclarativeBase], rows: Sequence[dict[str, Any]]
) -> None:
    """One executemany through Core; `COPY .. FROM STDIN` for many rows on PostgreSQL."""
    if not rows:
        return
    if len(rows) >= _COPY_FROM and session.get_bind().dialect.name == "postgresql":
        _copy(session, _table(entity), rows)
    else:
        session.connection().execute(insert(_table(entity)), list(rows))


def _copy(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Rows streamed with COPY in the session's transaction, each value bound as SQLAlchemy
    binds it (UTC datetimes, JSON documents); None is SQL NULL."""
    connection = session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in names]
    quote = dialect.identifier_preparer.quote
    sql = f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
    raw = connection.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(
                [
                    None if (value := row[name]) is None else process(value) if process else value
                    for name, process in zip(names, processors, strict=True)
                ]
            )


def update_by_id(
    session: Session, entity: type[DeclarativeBase], rows: Sequence[dict[str, Any]]
) -> None:
    """`rows` each hold `id` and the same other columns; one executemany."""
    if not rows:
        return
    table = _table(entity)
    columns = [name for name in rows[0] if name != "id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values({name: bindparam(f"_{name}") for name in columns})
    )
    session.connection().execute(
        statement, [{f"_{name}": value for name, value in row.items()} for row in rows]
    )


def present(
    session: Session,
    column: InstrumentedAttribute[Any],
    values: Collection[Any],
    *more: InstrumentedAttribute[Any],
) -> list[tuple[Any, ...]]:
    """Rows of `column` (and `more` columns) whose `column` is one of `values`: one statement,
    the values sent as one parameter (`db.among`)."""
    if not values:
        return []
    statement = select(column, *more).where(among(session, column, values))
    return [tuple(r) for r in session.execute(statement)]
