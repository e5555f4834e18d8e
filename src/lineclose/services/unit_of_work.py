"""The transaction a web request or a command owns, as the edges see it.

Services never commit; the caller does. Pages, routes and commands hold the session only as
an opaque handle typed here, call `commit` or `rollback` on it, and never build a query: the
database stays behind the services and the read layer.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

__all__ = ["ConcurrentChange", "Session", "SessionFactory", "StaleDataError", "UniqueClash"]

SessionFactory = sessionmaker[Session]

# What a commit raises when another transaction got there first: a unique key taken (an
# Idempotency-Key replayed at the same instant) or a row changed under a version check.
UniqueClash = IntegrityError
ConcurrentChange = StaleDataError
