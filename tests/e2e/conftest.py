"""A live Lineclose server on loopback and a real headless Chromium, shared by the e2e tests.

The server runs uvicorn in a background thread on a free port over a SQLite database built by
the migrations and seeded with the demo data; outside systems are fakes and the clock is
frozen. Tests run the outbox worker themselves when they need it, and read one-time codes
from the fake SMS gateway.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from pydantic import SecretStr

from lineclose.bootstrap import App, bootstrap
from lineclose.config import Settings
from lineclose.ports.clock import FrozenClock
from lineclose.services.context import Role
from lineclose.services.identity import create_staff_token
from lineclose.services.seed import register_lines_in_hlr, seed_demo
from lineclose.web.app import create_app
from lineclose.worker.dispatcher import Worker
from tests.conftest import START, TEST_KEYS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@functools.cache
def screenshots_dir() -> Path:
    """Where the stories put their screenshots: a temporary folder, so a test run leaves the
    tracked docs alone; `make screenshots` points LINECLOSE_SCREENSHOTS at docs/screenshots."""
    chosen = os.environ.get("LINECLOSE_SCREENSHOTS")
    folder = Path(chosen) if chosen else Path(tempfile.mkdtemp(prefix="lineclose-screenshots-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Live:
    app: App
    url: str
    worker: Worker
    tokens: dict[str, str]

    def run_worker(self) -> None:
        self.worker.run_until_idle()

    def last_code(self, masked_hint: str = "") -> str:
        self.run_worker()
        sent = self.app.deps.sms.sent  # type: ignore[attr-defined]
        found = re.search(r"(?<!\d)(\d{6})(?!\d)", sent[-1].text)
        assert found, "the code SMS carries a six-digit code"
        return found.group(1)


@pytest.fixture(scope="session")
def live(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    path = tmp_path_factory.mktemp("e2e") / "lineclose.db"
    shutil.copyfile(sqlite_template, path)
    port = _free_port()
    settings = Settings(
        database_url=f"sqlite:///{path}",
        data_keys=SecretStr(TEST_KEYS),
        public_base_url=f"http://127.0.0.1:{port}",
        hlr_backend="fake",
        sms_backend="fake",
        email_backend="fake",
    )
    app = bootstrap(settings, FrozenClock(START))
    with app.sessions.begin() as session:
        seed_demo(session, app.deps)
        tokens = {
            role.value: create_staff_token(session, START, f"e2e-{role.value}", role)
            for role in (Role.AGENT, Role.REVIEWER)
        }
    with app.sessions() as session:
        register_lines_in_hlr(session, app.deps)
    server = uvicorn.Server(
        uvicorn.Config(create_app(app), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    yield Live(app, f"http://127.0.0.1:{port}", Worker(app.sessions, app.deps, "e2e"), tokens)
    server.should_exit = True
    thread.join(timeout=5)
    app.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def new_page(browser: Any, locale: str, width: int = 1100) -> Any:
    """A fresh browser context (own cookies) whose Accept-Language is `locale`."""
    context = browser.new_context(locale=locale, viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    return context.new_page()


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(screenshots_dir() / f"{name}.png"), full_page=True)
