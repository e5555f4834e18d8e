"""The SMS channel as it runs in production, on loopback: Kannel with fakesmsc as the phone
network, the Lineclose API (uvicorn, real HTTP) as Kannel's get-url and dlr-url, and a worker
thread sending replies through Kannel's sendsms."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

import uvicorn
from pydantic import SecretStr

from lineclose.adapters.sms.kannel import inbound_get_url
from lineclose.bootstrap import App, bootstrap
from lineclose.config import Settings
from lineclose.web.app import create_app
from lineclose.worker.dispatcher import Worker
from tests.support.kannel import KannelInstance, _free_ports, running_kannel

SECRET = "texting-rig-secret"
_LINE = re.compile(r"Got message \d+: <(\S*) (\S*) (\S+) (.*)>$")


@dataclass(frozen=True)
class Delivered:
    """A whole message as the phone shows it, its concatenated parts joined."""

    sender: str
    receiver: str
    text: str


def delivered(log: str) -> list[Delivered]:
    """Messages fakesmsc received, with long ones (UDH 8-bit reference concatenation, UCS-2 or
    8-bit data) reassembled in order of their first part."""
    whole: list[Delivered] = []
    parts: dict[tuple[str, int], dict[int, bytes]] = {}
    slots: dict[tuple[str, int], int] = {}
    for line in log.splitlines():
        match = _LINE.search(line)
        if not match:
            continue
        sender, receiver, kind, rest = match.groups()
        if kind != "udh":
            whole.append(Delivered(sender, receiver, _plain(kind, rest)))
            continue
        udh_text, _, data = rest.partition(" data ")
        udh = unquote_to_bytes(udh_text)
        ref, total, seq = udh[3], udh[4], udh[5]
        key = (receiver, ref)
        if key not in slots:
            slots[key] = len(whole)
            whole.append(Delivered(sender, receiver, ""))
            parts[key] = {}
        parts[key][seq] = unquote_to_bytes(data.replace("+", "%20"))
        if len(parts[key]) == total:
            body = b"".join(parts[key][i] for i in sorted(parts[key]))
            whole[slots.pop(key)] = Delivered(sender, receiver, body.decode("utf-16-be"))
    return [m for m in whole if m.text]


def _plain(kind: str, data: str) -> str:
    if kind == "text":
        return data
    raw = unquote_to_bytes(data.replace("+", "%20"))
    return raw.decode("utf-16-be") if kind == "ucs-2" else raw.decode("utf-8", errors="replace")


@dataclass
class TextingRig:
    app: App
    kannel: KannelInstance

    def text(self, sender: str, receiver: str, body: str) -> float:
        """The phone sends a text; returns the moment fakesmsc handed it to the gateway."""
        self.kannel.inject(sender, receiver, body)
        return time.perf_counter()

    def delivered(self) -> list[Delivered]:
        return delivered(self.kannel._fakesmsc_log.read_text(encoding="utf-8", errors="replace"))

    def wait_for_reply_to(self, number: str, seen: int, timeout: float = 15.0) -> Delivered:
        """The next message the network delivers to `number` after the first `seen` ones."""
        digits = number.lstrip("+")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            to_number = [m for m in self.delivered() if m.receiver.lstrip("+") == digits]
            if len(to_number) > seen:
                return to_number[seen]
            time.sleep(0.01)
        raise AssertionError(f"no reply to {number} within {timeout}s; see {self.kannel.workdir}")


@contextmanager
def texting_rig(
    database_url: str, data_keys: str, sender: str = "10086", worker_poll_seconds: float = 0.02
) -> Iterator[TextingRig]:
    with ExitStack() as stack:
        (api_port,) = _free_ports(1)
        api = f"http://127.0.0.1:{api_port}"
        kannel = stack.enter_context(
            running_kannel(inbound_get_url(f"{api}/api/v1/sms/inbound?secret={SECRET}"))
        )
        settings = Settings(
            database_url=database_url,
            data_keys=SecretStr(data_keys),
            hlr_backend="fake",
            email_backend="fake",
            sms_backend="kannel",
            kannel_sendsms_url=kannel.sendsms_url,
            kannel_username=kannel.username,
            kannel_password=SecretStr(kannel.password),
            kannel_sender=sender,
            kannel_dlr_url=f"{api}/api/v1/sms/dlr?secret={SECRET}",
            sms_callback_secret=SecretStr(SECRET),
            worker_poll_seconds=worker_poll_seconds,
            public_base_url=api,
        )
        app = bootstrap(settings)
        stack.callback(app.engine.dispose)
        server = uvicorn.Server(
            uvicorn.Config(create_app(app), host="127.0.0.1", port=api_port, log_level="error")
        )
        serving = threading.Thread(target=server.run, daemon=True)
        serving.start()
        stack.callback(serving.join, 10)
        stack.callback(setattr, server, "should_exit", True)
        while not server.started:
            time.sleep(0.01)
        worker = Worker(app.sessions, app.deps, name="texting-rig")
        working = threading.Thread(target=worker.run_forever, daemon=True)
        working.start()
        stack.callback(working.join, 10)
        stack.callback(worker.stop)
        yield TextingRig(app, kannel)
