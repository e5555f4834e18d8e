"""The transaction a web request or a command owns, as the edges see it.

Services never commit; the caller does. Pages, routes and commands hold the session only as
an opaque handle typed here, call `commit` or `rollback` on it, and never build a query: the
database stays behind the services and the read layer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from lineclose.db.engine import READS_ONLY, drop_reads_only

__all__ = [
    "ConcurrentChange",
    "Session",
    "SessionFactory",
    "StaleDataError",
    "UniqueClash",
    "reading_only",
    "reads_only",
    "write_apart",
]

SessionFactory = sessionmaker[Session]

# What a commit raises when another transaction got there first: a unique key taken (an
# Idempotency-Key replayed at the same instant) or a row changed under a version check.
UniqueClash = IntegrityError
ConcurrentChange = StaleDataError


def reads_only(session: Session) -> None:
    """Declare that the session's next transaction only reads (a write it must keep, such as a
    refused guess or a token's last use, is committed in a transaction of its own: after a
    rollback, or through `write_apart`). Touches no database, so an async dependency may call it.

    On PostgreSQL its reads then run without BEGIN and ROLLBACK: two round trips fewer, and
    each statement on its own snapshot, as READ COMMITTED gives them anyway. On SQLite the
    transaction begins deferred and read-only, so it reads its snapshot while a writer holds
    the write lock. Nothing changes once the session is in a transaction; the declaration
    ends with the transaction it applies to.
    """
    if session.in_transaction():
        return
    options: dict[str, object] = {READS_ONLY: True}
    if session.get_bind().dialect.name == "postgresql":
        options["isolation_level"] = "AUTOCOMMIT"
    session.execution_options = session.execution_options.union(options)


def reading_only(session: Session) -> bool:
    """Whether the session's transaction (or its next one) was declared reads-only."""
    return bool(session.execution_options.get(READS_ONLY))


@contextmanager
def write_apart(session: Session) -> Iterator[None]:
    """Run a write the call must keep in a transaction of its own: what the call did so far is
    rolled back (a reads-only call changed nothing), the write is committed, and a call that
    was reading only reads only again afterwards."""
    was_reading = reading_only(session)
    session.rollback()
    if was_reading:
        drop_reads_only(session)  # declared but not yet begun: the write may not inherit it
    yield
    session.commit()
    if was_reading:
        reads_only(session)
