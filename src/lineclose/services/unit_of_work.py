"""The transaction a web request or a command owns, as the edges see it.

Services never commit; the caller does. Pages, routes and commands hold the session only as
an opaque handle typed here, call `commit` or `rollback` on it, and never build a query: the
database stays behind the services and the read layer.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

__all__ = [
    "ConcurrentChange",
    "Session",
    "SessionFactory",
    "StaleDataError",
    "UniqueClash",
    "reads_only",
]

SessionFactory = sessionmaker[Session]

# What a commit raises when another transaction got there first: a unique key taken (an
# Idempotency-Key replayed at the same instant) or a row changed under a version check.
UniqueClash = IntegrityError
ConcurrentChange = StaleDataError


def reads_only(session: Session) -> None:
    """Declare that the call only reads (a write it must keep, such as a refused guess, is
    committed in a transaction of its own after a rollback).

    On PostgreSQL its reads then run without BEGIN and ROLLBACK: two round trips fewer, and
    each statement on its own snapshot, as READ COMMITTED gives them anyway. Nothing changes
    once the session is in a transaction, nor on SQLite, whose reads queue behind writers.
    """
    if session.in_transaction() or session.get_bind().dialect.name != "postgresql":
        return
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
