"""A throwaway Kannel for tests: bearerbox, smsbox and fakesmsc on loopback in a temp dir.

fakesmsc plays the mobile network. It connects to bearerbox's ``smsc = fake`` port, prints every
message the gateway sends it as ``Got message N: <sender receiver type data>`` (type ``text``,
``data`` or ``ucs-2``; the last two URL-encoded, UCS-2 as UTF-16BE bytes), and turns lines typed
on its standard input into inbound messages. The fake SMSC also answers every message that asks
for delivery reports with an "accepted by SMSC" (8) and a "delivered" (1) report at once.

Quirks handled here:

- fakesmsc reads one standard-input line per wake-up and leaves the rest in its stdio buffer, so
  lines are written one at a time, each after the previous one was reported sent;
- ``-m 0`` means "send nothing", not "no limit": the option is left out;
- bearerbox's fake SMSC serves one fakesmsc connection at a time;
- fakesmsc gives up at once if bearerbox is not listening yet, so it is restarted until it stays.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_from_bytes, unquote_to_bytes

import httpx
import pytest

APT_PACKAGES = "kannel kannel-extras"

_FAKESMSC_CANDIDATES = (
    "/usr/lib/kannel/test/fakesmsc",
    "/usr/lib/kannel/fakesmsc",
    "/usr/libexec/kannel/fakesmsc",
)

_GOT = re.compile(r"Got message (\d+): <(\S*) (\S*) (\S+) ?(.*)>$")
_SENT = re.compile(r"fakesmsc: sent message (\d+)")

USERNAME = "lineclose"
PASSWORD = "sendsms-secret"
ADMIN_PASSWORD = "admin-secret"
SMSC_ID = "fake"

_CONFIG = """\
group = core
admin-port = {admin_port}
admin-interface = 127.0.0.1
admin-password = {admin_password}
admin-allow-ip = 127.0.0.1
smsbox-port = {smsbox_port}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = "{workdir}/bearerbox.log"
log-level = 1
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = {smsc_id}
port = {smsc_port}
our-host = 127.0.0.1
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {smsbox_port}
sendsms-port = {sendsms_port}
sendsms-interface = 127.0.0.1
mo-recode = true
log-file = "{workdir}/smsbox.log"
log-level = 1

group = sendsms-user
username = {username}
password = {password}
max-messages = 10
concatenation = true

group = sms-service
keyword = default
catch-all = true
max-messages = 0
get-url = "{get_url}"
"""


@dataclass(frozen=True)
class NetworkSms:
    """A message as fakesmsc received it from the gateway."""

    number: int
    sender: str
    receiver: str
    kind: str  # text, data, ucs-2 or udh
    text: str


def _decode(kind: str, data: str) -> str:
    if kind == "text":
        return data
    # Kannel URL-encodes a space as "+", so "+" is turned back before the percent-escapes.
    raw = unquote_to_bytes(data.replace("+", "%20"))
    if kind == "ucs-2":
        return raw.decode("utf-16-be")
    return raw.decode("utf-8", errors="replace")


@dataclass
class KannelInstance:
    sendsms_url: str
    username: str
    password: str
    admin_url: str
    workdir: Path
    _fakesmsc: subprocess.Popen[bytes]
    _fakesmsc_log: Path
    _injected: int = 0

    def received(self) -> list[NetworkSms]:
        """Every message fakesmsc has received so far, in arrival order."""
        messages = []
        for line in self._fakesmsc_log.read_text(encoding="utf-8", errors="replace").splitlines():
            match = _GOT.search(line)
            if match:
                number, sender, receiver, kind, data = match.groups()
                messages.append(
                    NetworkSms(int(number), sender, receiver, kind, _decode(kind, data))
                )
        return messages

    def wait_for_received(self, count: int, timeout: float = 10.0) -> list[NetworkSms]:
        """Wait until fakesmsc has at least ``count`` messages, then a little longer for extras.

        The extra wait lets a duplicate that was about to arrive show up, so callers can assert
        an exact count.
        """
        deadline = time.monotonic() + timeout
        while len(self.received()) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"fakesmsc got {len(self.received())} of {count} messages in {timeout}s; "
                    f"see {self.workdir}"
                )
            time.sleep(0.05)
        time.sleep(0.5)
        return self.received()

    def inject(self, sender: str, receiver: str, text: str, timeout: float = 10.0) -> None:
        """Have fakesmsc deliver an inbound message, as UCS-2, to the gateway."""
        data = quote_from_bytes(text.encode("utf-16-be"), safe="")
        line = f"{sender} {receiver} ucs2 {data}\n"
        assert self._fakesmsc.stdin is not None
        self._fakesmsc.stdin.write(line.encode("ascii"))
        self._fakesmsc.stdin.flush()
        self._injected += 1
        deadline = time.monotonic() + timeout
        while self._sent_count() < self._injected:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"fakesmsc did not send the inbound message; see {self.workdir}"
                )
            time.sleep(0.05)

    def _sent_count(self) -> int:
        text = self._fakesmsc_log.read_text(encoding="utf-8", errors="replace")
        numbers = [int(n) for n in _SENT.findall(text)]
        return max(numbers, default=0)


def _find_fakesmsc() -> str | None:
    for candidate in _FAKESMSC_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("fakesmsc")


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _wait_until(check: str, probe: Callable[[], bool], timeout: float, workdir: Path) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise RuntimeError(f"Kannel: {check} not ready after {timeout}s; logs in {workdir}")
        time.sleep(0.1)


def _answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=1.0)
    except httpx.HTTPError:
        return False
    return True


def _smsc_online(admin_url: str) -> bool:
    try:
        response = httpx.get(
            f"{admin_url}/status.txt", params={"password": ADMIN_PASSWORD}, timeout=1.0
        )
    except httpx.HTTPError:
        return False
    return f"{SMSC_ID}[" in response.text and "online" in response.text


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@contextmanager
def running_kannel(get_url: str) -> Iterator[KannelInstance]:
    """Run Kannel with fakesmsc as its network until the block ends.

    ``get_url`` is the get-url pattern of the catch-all sms-service (Kannel %-codes and all).
    Skips the test when the Kannel binaries are not installed.
    """
    bearerbox = shutil.which("bearerbox") or "/usr/sbin/bearerbox"
    smsbox = shutil.which("smsbox") or "/usr/sbin/smsbox"
    fakesmsc = _find_fakesmsc()
    if not (os.access(bearerbox, os.X_OK) and os.access(smsbox, os.X_OK) and fakesmsc):
        pytest.skip(f"Kannel not installed: apt-get install {APT_PACKAGES}")

    workdir = Path(tempfile.mkdtemp(prefix="lineclose-kannel-"))
    admin_port, smsbox_port, smsc_port, sendsms_port = _free_ports(4)
    config = workdir / "kannel.conf"
    config.write_text(
        _CONFIG.format(
            admin_port=admin_port,
            admin_password=ADMIN_PASSWORD,
            smsbox_port=smsbox_port,
            smsc_port=smsc_port,
            smsc_id=SMSC_ID,
            sendsms_port=sendsms_port,
            workdir=workdir,
            username=USERNAME,
            password=PASSWORD,
            get_url=get_url.replace('"', "%22"),
        ),
        encoding="utf-8",
    )
    admin_url = f"http://127.0.0.1:{admin_port}"
    sendsms_url = f"http://127.0.0.1:{sendsms_port}/cgi-bin/sendsms"
    fakesmsc_log = workdir / "fakesmsc.out"
    processes: list[subprocess.Popen[bytes]] = []

    def spawn(name: str, argv: list[str], stdin: int | None = None) -> subprocess.Popen[bytes]:
        out = (workdir / f"{name}.out").open("ab")
        process = subprocess.Popen(
            argv, cwd=workdir, stdin=stdin, stdout=out, stderr=subprocess.STDOUT
        )
        out.close()
        processes.append(process)
        return process

    started = False
    try:
        spawn("bearerbox", [bearerbox, str(config)])
        _wait_until("bearerbox admin", lambda: _answers(f"{admin_url}/status"), 15, workdir)
        network = None
        deadline = time.monotonic() + 15
        while network is None:
            candidate = spawn(
                "fakesmsc",
                [fakesmsc, "-H", "127.0.0.1", "-r", str(smsc_port), "-i", "0"],
                stdin=subprocess.PIPE,
            )
            time.sleep(0.3)
            if candidate.poll() is None:
                network = candidate
            elif time.monotonic() > deadline:
                raise RuntimeError(f"fakesmsc could not connect; logs in {workdir}")
        _wait_until("fake SMSC", lambda: _smsc_online(admin_url), 15, workdir)
        spawn("smsbox", [smsbox, str(config)])
        _wait_until("smsbox sendsms", lambda: _answers(sendsms_url), 15, workdir)
        started = True
        yield KannelInstance(
            sendsms_url=sendsms_url,
            username=USERNAME,
            password=PASSWORD,
            admin_url=admin_url,
            workdir=workdir,
            _fakesmsc=network,
            _fakesmsc_log=fakesmsc_log,
        )
    finally:
        # smsbox first so it does not log reconnect attempts; bearerbox last.
        for process in reversed(processes):
            if process.stdin is not None:
                process.stdin.close()
            _stop(process)
        if started:
            shutil.rmtree(workdir, ignore_errors=True)
