"""`column IN (values)` for lists of thousands, sent as one parameter.

An expanding IN list renders a placeholder per value, so the statement's text changes with
the list's length (compiled again, prepared again) and every value is bound on its own.
Here the list is one parameter: an array on PostgreSQL (`column = ANY(:values)`), a JSON
array read by `json_each` on SQLite. The statement's text stays the same whatever the length.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session


def among(session: Session | Connection, column: Any, values: Iterable[Any]) -> Any:
    """The condition `column IN values` (values JSON-serialisable: numbers, strings)."""
    listed = list(values)
    dialect = session.dialect if isinstance(session, Connection) else session.get_bind().dialect
    if dialect.name == "postgresql":
        return column == any_(bindparam("among", listed, type_=ARRAY(column.type), unique=True))
    given = func.json_each(bindparam("among", json.dumps(listed), unique=True))
    return column.in_(select(given.table_valued("value").c.value))
