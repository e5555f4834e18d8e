"""An aiosmtpd server on loopback that keeps every message it accepts."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SmtpServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

# Decides the reply to RCPT TO for an address: None accepts it, otherwise an SMTP reply line.
RecipientRule = Callable[[str], str | None]


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage


@dataclass
class SmtpSink:
    host: str
    port: int
    username: str | None
    password: str | None
    received: list[ReceivedMail] = field(default_factory=list)
    recipient_rule: RecipientRule | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def messages(self) -> list[ReceivedMail]:
        with self._lock:
            return list(self.received)


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_RCPT(
        self, server: SmtpServer, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        rule = self._sink.recipient_rule
        reply = rule(address) if rule is not None else None
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SmtpServer, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._sink._lock:
            self._sink.received.append(
                ReceivedMail(str(envelope.mail_from), tuple(envelope.rcpt_tos), parsed)
            )
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_smtp(username: str | None = None, password: str | None = None) -> Iterator[SmtpSink]:
    """Run an SMTP server on 127.0.0.1 on a free port until the block ends.

    With a username and password the server offers AUTH (over plain text, loopback only) and
    accepts only those credentials.
    """
    sink = SmtpSink(host="127.0.0.1", port=free_port(), username=username, password=password)

    def authenticate(
        server: SmtpServer, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == username
            and data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False)

    kwargs: dict[str, Any] = {}
    if username is not None:
        kwargs = {"authenticator": authenticate, "auth_require_tls": False}
    controller = Controller(_Handler(sink), hostname=sink.host, port=sink.port, **kwargs)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
