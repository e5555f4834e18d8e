"""Key and database files readable by their owner only; one-time codes MAC'd under a server key;
the console SMS gateway announces itself as demo-only; tracebacks of 500s stay in the log, masked."""

from __future__ import annotations

import json
import logging
import os
import stat
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lineclose import logs
from lineclose.adapters.sms.console import ConsoleSms
from lineclose.bootstrap import bootstrap
from lineclose.db.engine import make_engine
from lineclose.security import log_masking
from lineclose.security.otp_mac import otp_code_mac, otp_code_matches
from lineclose.security.secrets_hashing import code_digest
from lineclose.security.vault import (
    Vault,
    VaultError,
    load_or_create_keyring,
    new_key_line,
    parse_keyring,
)
from lineclose.web.hardening import install
from tests.conftest import TEST_KEYS
from tests.security.hardening_support import sqlite_settings


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_key_file_is_private_and_loads(tmp_path: Path) -> None:
    path = tmp_path / "var" / "data.key"
    keys = load_or_create_keyring(path)
    assert _mode(path) == 0o600
    assert load_or_create_keyring(path) == keys


@pytest.mark.parametrize("mode", [0o640, 0o644, 0o604, 0o660])
def test_a_key_file_others_can_read_is_refused_with_the_fix(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "data.key"
    load_or_create_keyring(path)
    os.chmod(path, mode)
    with pytest.raises(VaultError, match=f"chmod 600 {path}"):
        load_or_create_keyring(path)


def test_the_sqlite_file_and_its_wal_are_created_private(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)  # the usual umask, which gives 0644 files
    try:
        path = tmp_path / "db" / "lineclose.db"
        engine = make_engine(f"sqlite:///{path}")
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            connection.exec_driver_sql("INSERT INTO t VALUES (1)")
        wal = path.with_name("lineclose.db-wal")
        assert wal.exists()
        assert _mode(path) == 0o600
        assert _mode(wal) == 0o600
        assert _mode(path.with_name("lineclose.db-shm")) == 0o600
        engine.dispose()
    finally:
        os.umask(old_umask)


def test_an_existing_world_readable_database_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    make_engine(f"sqlite:///{path}").dispose()
    assert _mode(path) == 0o600


def test_a_code_mac_cannot_be_undone_from_the_row_alone() -> None:
    vault = Vault(parse_keyring(TEST_KEYS))
    salt = "a1b2c3d4e5f60718"
    stored = otp_code_mac(vault, "123456", salt)
    assert otp_code_matches(vault, stored, " 123456 ", salt)
    assert not otp_code_matches(vault, stored, "123457", salt)
    # With only the row (salt and stored value), trying all million codes finds nothing ...
    assert stored not in {code_digest(f"{n:06d}", salt) for n in range(123000, 124000)}
    # ... and another server's key gives another value.
    other = Vault(parse_keyring(new_key_line("k1")))
    assert otp_code_mac(other, "123456", salt) != stored


def test_the_console_sms_gateway_says_it_is_for_the_demo_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="lineclose.sms"):
        ConsoleSms()
    assert any("demo only" in r.getMessage() for r in caplog.records)


def test_a_500_keeps_its_masked_traceback_in_the_json_log(
    sqlite_template: Path, tmp_path: Path
) -> None:
    log_masking.install()
    api = FastAPI()
    install(api, sqlite_settings(sqlite_template, tmp_path))

    @api.get("/boom")
    def boom() -> None:
        raise RuntimeError("lookup failed for +8613800138001")

    captured: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = captured.append  # type: ignore[method-assign]
    logger = logging.getLogger("lineclose.api")
    logger.addHandler(handler)
    try:
        response = TestClient(api, raise_server_exceptions=False).get("/boom")
    finally:
        logger.removeHandler(handler)

    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert "8613800138001" not in response.text
    entry = json.loads(logs.JsonFormatter().format(captured[-1]))
    assert "Traceback" in entry["exception"]
    assert "RuntimeError: lookup failed for" in entry["exception"]
    assert "in boom" in entry["exception"]
    assert "8613800138001" not in json.dumps(entry)


def test_bootstrap_refuses_a_readable_key_file(sqlite_template: Path, tmp_path: Path) -> None:
    key_file = tmp_path / "data.key"
    load_or_create_keyring(key_file)
    os.chmod(key_file, 0o644)
    settings = sqlite_settings(sqlite_template, tmp_path, data_keys=None, data_key_file=key_file)
    with pytest.raises(VaultError, match="chmod 600"):
        bootstrap(settings)


def test_the_masking_filter_no_longer_drops_a_logged_traceback() -> None:
    """On main the filter turned exc_info into masked text and the JSON formatter, reading only
    exc_info, printed no traceback at all."""
    log_masking.install()
    try:
        raise ValueError("account 6222021234567890123 refused")
    except ValueError:
        record = logging.getLogger("lineclose.test").makeRecord(
            "lineclose.test", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )
    entry = json.loads(logs.JsonFormatter().format(record))
    assert "ValueError: account" in entry["exception"]
    assert "6222021234567890123" not in entry["exception"]
