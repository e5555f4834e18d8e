"""One UPDATE for many rows, each with its own values.

PostgreSQL joins the table to a VALUES list (`UPDATE t SET c = v.c FROM (VALUES ...) v WHERE
t.id = v.id`): one statement, not one per row. SQLite runs in the process, where executemany of
a prepared statement is as fast.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, cast, column, update, values
from sqlalchemy.orm import Session


def update_each(
    session: Session,
    table: Table,
    rows: list[dict[str, Any]],
    **same: Any,
) -> None:
    """Set each row's own columns (every row names `id` and the same other keys) and the
    `same` values on all of them."""
    if not rows:
        return
    own = [name for name in rows[0] if name != "id"]
    if session.get_bind().dialect.name == "postgresql":
        given = values(
            column("id", table.c.id.type),
            *(column(name, table.c[name].type) for name in own),
            name="given",
        ).data([tuple(row[name] for name in ("id", *own)) for row in rows])
        session.execute(
            update(table)
            .where(table.c.id == given.c.id)
            .values({**{name: cast(given.c[name], table.c[name].type) for name in own}, **same})
        )
        return
    session.execute(
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values({**{name: bindparam(f"_{name}") for name in own}, **same}),
        [{"_id": row["id"], **{f"_{name}": row[name] for name in own}} for row in rows],
    )
