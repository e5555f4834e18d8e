"""One UPDATE for many rows, each with its own values.

PostgreSQL joins the table to the rows' values passed as one array per column (`UPDATE t SET
c = u.c FROM unnest(:ids, :cs) u(id, c) WHERE t.id = u.id`): one statement of a fixed text,
prepared once, whatever the number of rows. A JSON column's values go as one JSON document
(`json_array`): as a text array, every quote in every value would be escaped one by one in
Python. SQLite runs in the process, where executemany of a prepared statement is as fast.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Table, bindparam, text, update
from sqlalchemy.orm import Session

from lineclose.db import json_codec


def update_each(
    session: Session,
    table: Table,
    rows: list[dict[str, Any]],
    increment: dict[str, int] | None = None,
    **same: Any,
) -> None:
    """Set each row's own columns (every row names `id` and the same other keys), the `same`
    values on all of them, and add to each `increment` column its amount."""
    if not rows:
        return
    own = [name for name in rows[0] if name != "id"]
    increment = increment or {}
    if session.get_bind().dialect.name == "postgresql":
        _unnest(session, table, rows, own, increment, same)
        return
    bumped = {name: table.c[name] + by for name, by in increment.items()}
    session.execute(
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values({**{name: bindparam(f"_{name}") for name in own}, **same, **bumped}),
        [{"_id": row["id"], **{f"_{name}": row[name] for name in own}} for row in rows],
    )


def _unnest(
    session: Session,
    table: Table,
    rows: list[dict[str, Any]],
    own: list[str],
    increment: dict[str, int],
    same: dict[str, Any],
) -> None:
    dialect = session.get_bind().dialect
    arrays: dict[str, list[Any] | str] = {"u_id": [row["id"] for row in rows]}
    kinds = {"u_id": table.c.id.type.compile(dialect)}
    sets = []
    for name in own:
        kinds[f"u_{name}"] = table.c[name].type.compile(dialect)
        if isinstance(table.c[name].type, JSON):
            kinds[f"u_{name}"] = "JSON"
            arrays[f"u_{name}"] = json_codec.dumps([row[name] for row in rows])
            sets.append(f"{name} = u.{name}")
        else:
            process = table.c[name].type.bind_processor(dialect)
            arrays[f"u_{name}"] = [process(row[name]) if process else row[name] for row in rows]
            sets.append(f"{name} = u.{name}")
    sets += [f"{name} = :s_{name}" for name in same]
    sets += [f"{name} = {table.name}.{name} + {int(by)}" for name, by in increment.items()]
    columns = ", ".join(["id", *own])
    sql = (
        f"UPDATE {table.name} SET {', '.join(sets)} "
        f"FROM unnest({', '.join(_array(key, kinds[key]) for key in arrays)}) "
        f"AS u({columns}) "
        f"WHERE {table.name}.id = u.id"
    )
    # The columns' own types convert the shared values (UTC datetimes stored without zone).
    statement = text(sql).bindparams(
        *(bindparam(f"s_{name}", value, type_=table.c[name].type) for name, value in same.items())
    )
    session.execute(statement, arrays)


def _array(key: str, kind: str) -> str:
    """The SQL array of parameter `key`: a JSON column's values arrive as one JSON document."""
    return json_array(key) if kind == "JSON" else f"CAST(:{key} AS {kind}[])"


def json_array(key: str) -> str:
    """PostgreSQL: the json[] of the elements of the JSON array in parameter `key`, in order,
    JSON `null` as SQL NULL (as Python's None is written elsewhere)."""
    return (
        "ARRAY(SELECT CASE json_typeof(e) WHEN 'null' THEN NULL ELSE e END "
        f"FROM json_array_elements(CAST(:{key} AS JSON)) WITH ORDINALITY AS t(e, n) ORDER BY n)"
    )
