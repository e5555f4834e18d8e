"""The moving-window limiter, on memory (one process) and on Redis (every process)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from lineclose.bootstrap import App, bootstrap
from lineclose.errors import RateLimited
from lineclose.ports.clock import FrozenClock
from lineclose.services import limiter
from lineclose.services.limiter import Limit, LimiterUnavailable
from tests.conftest import START
from tests.security.hardening_support import sqlite_settings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server of the test's own on a free loopback port (no disk persistence)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server not installed (Debian: apt-get install redis-server)")
    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                if redis.Redis.from_url(url, socket_connect_timeout=0.5).ping():
                    break
            except redis.RedisError:
                pass
            assert server.poll() is None, "redis-server exited at start"
            assert time.monotonic() < deadline, "redis-server did not answer"
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


STORES = ["memory", "redis"]


@pytest.fixture(params=STORES)
def wired(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> Iterator[App]:
    store = "memory://" if request.param == "memory" else request.getfixturevalue("redis_url")
    settings = sqlite_settings(sqlite_template, tmp_path, ratelimit_storage=store)
    app = bootstrap(settings, FrozenClock(START))
    yield app
    app.engine.dispose()


def _subject() -> str:
    return (
        f"203.0.113.{uuid.uuid4().hex}"  # unique per test: the Redis server is shared by the module
    )


def test_a_caller_is_refused_past_the_limit_with_a_retry_delay(wired: App) -> None:
    limit = Limit("test_calls", 3, 60, "slow down")
    subject = _subject()
    with wired.sessions() as session:
        for _ in range(3):
            limiter.consume(session, wired.deps, limit, subject)
        with pytest.raises(RateLimited) as refused:
            limiter.consume(session, wired.deps, limit, subject)
        limiter.consume(session, wired.deps, limit, _subject())  # others are not affected
    assert 1 <= refused.value.retry_after <= 60


def test_the_window_moves_so_a_boundary_burst_does_not_double_the_budget(wired: App) -> None:
    """A fixed window lets 2x the limit through around a window boundary; a moving one refuses
    until the oldest call of the last `window_seconds` ages out."""
    limit = Limit("test_moving", 2, 2, "slow down")
    subject = _subject()
    with wired.sessions() as session:
        limiter.consume(session, wired.deps, limit, subject)
        time.sleep(1.1)  # crosses a one-second boundary of any 2 s fixed window at most once
        limiter.consume(session, wired.deps, limit, subject)
        with pytest.raises(RateLimited):
            limiter.consume(session, wired.deps, limit, subject)
        time.sleep(1.0)  # the first call is now over 2 s old
        limiter.consume(session, wired.deps, limit, subject)
        with pytest.raises(RateLimited):
            limiter.consume(session, wired.deps, limit, subject)


def test_failures_are_counted_and_lock_out_until_the_window_passes(wired: App) -> None:
    limit = Limit("test_failures", 3, 60, "locked")
    line = f"line-{uuid.uuid4().hex}"
    with wired.sessions() as session:
        counts = [limiter.record_in_transaction(session, wired.deps, limit, line) for _ in range(3)]
        with pytest.raises(RateLimited) as locked:
            limiter.ensure_not_exhausted(session, wired.deps, limit, line, code="line_locked")
        limiter.ensure_not_exhausted(session, wired.deps, limit, f"line-{uuid.uuid4().hex}")
    assert counts == [1, 2, 3]
    assert locked.value.code == "line_locked"


def test_the_interface_matches_the_database_held_limits() -> None:
    from lineclose.services import ratelimits

    for name in (
        "Limit",
        "otp_limits",
        "sign_in_per_client",
        "otp_failures",
        "precheck_limit",
        "certificate_limit",
        "consume",
        "record_in_transaction",
        "ensure_not_exhausted",
        "purge_expired",
    ):
        assert hasattr(ratelimits, name) and hasattr(limiter, name), name


def test_a_shared_store_that_does_not_answer_refuses_instead_of_letting_calls_through(
    sqlite_template: Path, tmp_path: Path
) -> None:
    nobody_listens = f"redis://127.0.0.1:{_free_port()}"
    settings = sqlite_settings(sqlite_template, tmp_path, ratelimit_storage=nobody_listens)
    app = bootstrap(settings, FrozenClock(START))
    try:
        with app.sessions() as session, pytest.raises(LimiterUnavailable) as refused:
            limiter.consume(session, app.deps, Limit("x", 5, 60, "m"), "s")
    finally:
        app.engine.dispose()
    assert refused.value.status == 503


def test_subjects_are_not_stored_in_clear_in_redis(
    sqlite_template: Path, tmp_path: Path, redis_url: str
) -> None:
    settings = sqlite_settings(sqlite_template, tmp_path, ratelimit_storage=redis_url)
    app = bootstrap(settings, FrozenClock(START))
    number = f"+86138{uuid.uuid4().int % 10**6:06d}99"
    with app.sessions() as session:
        limiter.consume(session, app.deps, Limit("otp_send_min", 1, 60, "m"), number)
    app.engine.dispose()
    keys = [k.decode() for k in redis.Redis.from_url(redis_url).keys("*otp_send_min*")]
    assert keys, "the count is in Redis"
    assert not any(number in key or number[1:] in key for key in keys)
