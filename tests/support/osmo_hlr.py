"""A throwaway osmo-hlr for tests: own config and sqlite database in a temp dir, loopback only.

osmo-hlr 1.5 (Debian 12) takes only an address, not a port, for CTRL (4259) and GSUP (4222),
and ignores the port given to the VTY bind (4258). Those fixed ports can be taken on 127.0.0.1
(NATS also uses 4222), so each instance gets its own address in 127.0.0.0/8, chosen at run time
where all three ports are free. The whole block is loopback: nothing listens beyond this host.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pytest

APT_PACKAGE = "osmo-hlr"
CTRL_PORT = 4259
VTY_PORT = 4258
GSUP_PORT = 4222

_CONFIG = """\
log stderr
 logging filter all 1
 logging color 0
 logging print category 1
 logging print level 1
 logging level main notice
 logging level db notice
line vty
 bind {host}
ctrl
 bind {host}
hlr
 gsup
  bind ip {host}
"""


class OsmoHlrEndpoint(NamedTuple):
    """Where a test osmo-hlr listens; unpacks as (host, ctrl_port, vty_port)."""

    host: str
    ctrl_port: int
    vty_port: int


def _ports_free(host: str) -> bool:
    for port in (CTRL_PORT, VTY_PORT, GSUP_PORT):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((host, port))
            except OSError:
                return False
    return True


def _pick_loopback_address(rng: random.Random) -> str:
    for _ in range(200):
        host = f"127.{rng.randint(1, 254)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        if _ports_free(host):
            return host
    raise RuntimeError("no loopback address with CTRL, VTY and GSUP ports free")


def _ctrl_answers(host: str) -> bool:
    """True once CTRL accepts a connection and answers a GET with any CTRL message."""
    request = b"\x00GET 1 subscriber.by-id-0.info"
    try:
        with socket.create_connection((host, CTRL_PORT), timeout=0.5) as sock:
            sock.sendall(len(request).to_bytes(2, "big") + b"\xee" + request)
            header = sock.recv(3)
            return len(header) == 3 and header[2] == 0xEE
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextmanager
def running_osmo_hlr(startup_timeout: float = 10.0) -> Iterator[OsmoHlrEndpoint]:
    """Start osmo-hlr, yield where it listens once CTRL answers, stop it afterwards.

    Skips the calling test when the binary is missing.
    """
    binary = shutil.which("osmo-hlr")
    if binary is None:
        pytest.skip(
            f"osmo-hlr not installed; install the Debian package: apt-get install {APT_PACKAGE}"
        )
    rng = random.Random()
    with tempfile.TemporaryDirectory(prefix="osmo-hlr-") as workdir:
        # Another process may grab the chosen address between probe and bind; try again then.
        for _attempt in range(5):
            host = _pick_loopback_address(rng)
            config = Path(workdir, "osmo-hlr.cfg")
            config.write_text(_CONFIG.format(host=host))
            database = Path(workdir, "hlr.db")
            database.unlink(missing_ok=True)
            log_path = Path(workdir, "osmo-hlr.log")
            with log_path.open("wb") as log:
                process = subprocess.Popen(
                    [binary, "-c", str(config), "-l", str(database)],
                    cwd=workdir,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            try:
                deadline = time.monotonic() + startup_timeout
                while process.poll() is None and time.monotonic() < deadline:
                    if _ctrl_answers(host):
                        yield OsmoHlrEndpoint(host, CTRL_PORT, VTY_PORT)
                        return
                    time.sleep(0.05)
            finally:
                _stop(process)
            output = log_path.read_text(errors="replace")
            if "Address already in use" not in output:
                raise RuntimeError(f"osmo-hlr did not come up on {host}:\n{output}")
        raise RuntimeError("osmo-hlr kept finding its ports taken")


def vty_show_subscriber(host: str, vty_port: int, imsi: str, timeout: float = 5.0) -> str | None:
    """The VTY's `show subscriber imsi` output, or None when osmo-hlr has no such subscriber.

    Reads through VTY rather than CTRL so tests observe osmo-hlr independently of the adapter.
    """
    prompt = b"OsmoHLR> "
    with socket.create_connection((host, vty_port), timeout=timeout) as sock:

        def read_to_prompt() -> bytes:
            data = b""
            while not data.endswith(prompt):
                chunk = sock.recv(4096)
                if not chunk:
                    raise ConnectionError(f"VTY closed; got {data!r}")
                data += chunk
            return data

        read_to_prompt()
        sock.sendall(f"show subscriber imsi {imsi}\n".encode("ascii"))
        output = read_to_prompt()[: -len(prompt)].decode("utf-8", errors="replace")
    if "No subscriber" in output:
        return None
    return output
