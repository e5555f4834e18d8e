"""An application wired on a fresh SQLite copy with chosen settings, for the hardening tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from pydantic import SecretStr

from lineclose.bootstrap import App, bootstrap
from lineclose.config import Settings
from lineclose.ports.clock import FrozenClock
from lineclose.web.app import create_app
from tests.conftest import START, TEST_KEYS


def sqlite_settings(template: Path, workdir: Path, **overrides: Any) -> Settings:
    path = workdir / "lineclose.db"
    if not path.exists():
        shutil.copyfile(template, path)
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{path}",
        "data_keys": SecretStr(TEST_KEYS),
        "hlr_backend": "fake",
        "sms_backend": "fake",
        "email_backend": "fake",
    }
    values.update(overrides)
    return Settings(**values)


PRODUCTION = {
    "production": True,
    "hlr_backend": "registry",
    "sms_backend": "kannel",
    "email_backend": "smtp",
}


@contextmanager
def serving(
    settings: Settings, client: tuple[str, int] = ("203.0.113.9", 50000)
) -> Iterator[tuple[App, TestClient]]:
    """The app over `settings`, called from `client` (the connection's peer address)."""
    wired = bootstrap(settings, FrozenClock(START))
    try:
        with TestClient(create_app(wired), client=client) as test_client:
            yield wired, test_client
    finally:
        wired.engine.dispose()
