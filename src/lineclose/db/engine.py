"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker
from sqlalchemy.util import immutabledict

from lineclose.db import json_codec

# The execution option a session carries for one transaction that only reads (see
# `services.unit_of_work.reads_only`): on SQLite its transaction begins deferred and is held
# read-only by `PRAGMA query_only`, so it reads its WAL snapshot beside a writer instead of
# queueing on the write lock, and a write in it fails at once rather than only under load.
READS_ONLY = "lineclose_reads_only"
_READS_ONLY_OPTIONS = (READS_ONLY, "isolation_level")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the API read while the worker writes; busy_timeout waits instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _private_sqlite_file(path: Path) -> None:
    """The database holds personal data: create it readable by its owner only (0600), and
    tighten a file an older version created 0644. SQLite gives the -wal and -shm files the
    database file's own mode; any already there are tightened too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if candidate.exists() and candidate.stat().st_mode & 0o077:
            os.chmod(candidate, 0o600)


def _begin(conn: Any) -> None:
    """pysqlite's own transaction handling delays BEGIN: a transaction that may write takes
    the write lock up front (`BEGIN IMMEDIATE`), so two writers queue on busy_timeout instead
    of failing on upgrade; one declared reads-only begins deferred and may not write. The
    pragma is switched only when the pooled connection's last transaction was the other kind."""
    reads = bool(conn.get_execution_options().get(READS_ONLY))
    if conn.info.get(READS_ONLY, False) != reads:
        conn.exec_driver_sql(f"PRAGMA query_only={'ON' if reads else 'OFF'}")
        conn.info[READS_ONLY] = reads
    conn.exec_driver_sql("BEGIN" if reads else "BEGIN IMMEDIATE")


def _reads_end(session: Session, transaction: SessionTransaction) -> None:
    """A reads-only declaration lasts one transaction: the next one may write."""
    if transaction.parent is None:
        drop_reads_only(session)


def drop_reads_only(session: Session) -> None:
    if READS_ONLY in session.execution_options:
        session.execution_options = immutabledict(
            (k, v) for k, v in session.execution_options.items() if k not in _READS_ONLY_OPTIONS
        )


_JSON_CODEC: dict[str, Any] = {
    "json_serializer": json_codec.dumps,
    "json_deserializer": json_codec.loads,
}


def make_engine(url: str, pool_size: int = 42) -> Engine:
    """`pool_size` must be at least the threads that use the engine at once: a request holds
    one connection, so a pool smaller than the thread pool makes requests queue on it."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _private_sqlite_file(Path(parsed.database))
        on_disk = bool(parsed.database and parsed.database != ":memory:")
        pooling: dict[str, int] = {"pool_size": pool_size, "max_overflow": 8} if on_disk else {}
        engine = create_engine(
            url, connect_args={"check_same_thread": False}, **pooling, **_JSON_CODEC
        )
        event.listen(engine, "connect", _sqlite_pragmas)

        event.listen(engine, "begin", _begin)
        event.listen(
            engine,
            "connect",
            lambda dbapi_connection, _r: setattr(dbapi_connection, "isolation_level", None),
        )
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("", "psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(
        parsed, pool_pre_ping=True, pool_size=pool_size, max_overflow=8, **_JSON_CODEC
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(engine, expire_on_commit=False)
    event.listen(factory, "after_transaction_end", _reads_end)
    return factory
