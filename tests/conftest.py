"""Shared fixtures: a migrated database per test (SQLite always, PostgreSQL when reachable),
the wired application with fakes for the outside systems, an API client and the worker."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lineclose.bootstrap import App, bootstrap
from lineclose.config import Settings
from lineclose.db.migrate import upgrade
from lineclose.db.models import Base
from lineclose.ports.clock import FrozenClock
from lineclose.security.vault import new_key_line
from lineclose.web.app import create_app
from lineclose.worker.dispatcher import Worker

# 09:00 in Shanghai on Wednesday 25 November 2026.
START = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
TEST_KEYS = new_key_line("k1")


def _postgres_admin_url() -> str | None:
    explicit = os.environ.get("LINECLOSE_TEST_DATABASE_URL")
    if explicit:
        return explicit
    candidate = os.environ.get(
        "LINECLOSE_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    try:
        engine = create_engine(candidate, connect_args={"connect_timeout": 2})
        with engine.connect():
            pass
        engine.dispose()
    except Exception:
        return None
    return candidate


_PG_ADMIN = _postgres_admin_url()
BACKENDS = ["sqlite", "postgresql"]


def pytest_report_header() -> str:
    if _PG_ADMIN:
        return f"PostgreSQL suites: on ({make_url(_PG_ADMIN).render_as_string(hide_password=True)})"
    return (
        "PostgreSQL suites: SKIPPED - no server on 127.0.0.1:5432 and LINECLOSE_TEST_DATABASE_URL "
        "unset (make test starts one on Debian as root)"
    )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if _PG_ADMIN is None:
        pytest.skip("PostgreSQL not reachable: set LINECLOSE_TEST_DATABASE_URL or run make test")
    admin_url = make_url(_PG_ADMIN)
    if os.environ.get("LINECLOSE_TEST_DATABASE_URL"):
        url = admin_url.render_as_string(hide_password=False)
        upgrade(url)
        yield url
        return
    name = f"lineclose_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "lineclose.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    _truncate_postgres(url)
    return url


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        data_keys=SecretStr(TEST_KEYS),
        hlr_backend="fake",
        sms_backend="fake",
        email_backend="fake",
        worker_max_attempts=3,
    )


@pytest.fixture
def app(settings: Settings, clock: FrozenClock) -> Iterator[App]:
    wired = bootstrap(settings, clock)
    yield wired
    wired.engine.dispose()


@pytest.fixture
def client(app: App) -> Iterator[TestClient]:
    with TestClient(create_app(app)) as test_client:
        yield test_client


@pytest.fixture
def worker(app: App) -> Worker:
    return Worker(app.sessions, app.deps, name="test-worker")
