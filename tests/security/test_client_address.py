"""Client addresses come from the connection, and from X-Forwarded-For only through trusted proxies."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from lineclose.web.client_address import client_address, parse_trusted_proxies
from tests.conftest import TEST_KEYS
from tests.security.hardening_support import serving, sqlite_settings

PROXIES = parse_trusted_proxies("10.0.0.0/8, 192.0.2.1, ::1")


def test_no_proxy_is_trusted_unless_configured() -> None:
    assert parse_trusted_proxies("") == ()
    assert client_address("127.0.0.1", "1.2.3.4", ()) == "127.0.0.1"


def test_a_header_from_an_untrusted_peer_is_ignored() -> None:
    assert client_address("198.51.100.7", "1.2.3.4", PROXIES) == "198.51.100.7"


def test_the_chain_is_walked_right_to_left_through_trusted_proxies_only() -> None:
    # The client wrote "6.6.6.6" itself; the edge proxy 192.0.2.1 appended the real peer.
    chain = "6.6.6.6, 203.0.113.9, 192.0.2.1"
    assert client_address("10.1.2.3", chain, PROXIES) == "203.0.113.9"
    assert client_address("10.1.2.3", "203.0.113.9", PROXIES) == "203.0.113.9"
    assert client_address("::1", "2001:db8::5", PROXIES) == "2001:db8::5"


def test_garbage_in_the_chain_stops_at_the_last_hop_a_proxy_vouched_for() -> None:
    assert client_address("10.1.2.3", "<script>, 192.0.2.1", PROXIES) == "192.0.2.1"
    assert client_address("10.1.2.3", "nonsense", PROXIES) == "10.1.2.3"


def test_a_bad_trusted_proxies_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="trusted_proxies"):
        parse_trusted_proxies("10.0.0.0/8, proxy.example")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_lineclose_serve_ignores_a_spoofed_forwarded_for_from_loopback(
    sqlite_template: Path, tmp_path: Path
) -> None:
    """uvicorn trusts X-Forwarded-For from 127.0.0.1 by default: on main every forged value got a
    fresh rate-limit bucket. `lineclose serve` keys on the peer unless a proxy is configured."""
    db = tmp_path / "served.db"
    shutil.copyfile(sqlite_template, db)
    port = _free_port()
    env = {
        **os.environ,
        "LINECLOSE_DATABASE_URL": f"sqlite:///{db}",
        "LINECLOSE_DATA_KEYS": TEST_KEYS,
        "LINECLOSE_HLR_BACKEND": "fake",
        "LINECLOSE_SMS_BACKEND": "fake",
        "LINECLOSE_EMAIL_BACKEND": "fake",
        "LINECLOSE_CERTIFICATE_CHECKS_PER_MINUTE": "3",
    }
    entry = "from lineclose.cli.main import app; app()"
    command = [sys.executable, "-c", entry, "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            assert time.monotonic() < deadline, "lineclose serve did not start"
            time.sleep(0.2)
        statuses = [
            httpx.get(
                f"{base}/api/v1/certificates/ZZZZ-ZZZZ",
                headers={"X-Forwarded-For": f"198.51.100.{i}"},
                timeout=5,
            ).status_code
            for i in range(5)
        ]
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert statuses[3:] == [429, 429], statuses


def test_behind_a_trusted_proxy_each_client_has_its_own_bucket(
    sqlite_template: Path, tmp_path: Path
) -> None:
    settings = sqlite_settings(
        sqlite_template, tmp_path, certificate_checks_per_minute=2, trusted_proxies="10.0.0.2"
    )
    with serving(settings, client=("10.0.0.2", 5000)) as (_, client):

        def check(forwarded: str) -> int:
            return client.get(
                "/api/v1/certificates/ZZZZ-ZZZZ", headers={"X-Forwarded-For": forwarded}
            ).status_code

        first = [check("203.0.113.1") for _ in range(3)]
        second = [check("203.0.113.2") for _ in range(2)]
    assert first[-1] == 429
    assert 429 not in second  # the proxy's clients do not share one bucket
