"""SMS and e-mail gateways: how notices and one-time codes leave Lineclose."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164
    text: str
    key: str  # idempotency key of the outbox step that sends it


@dataclass(frozen=True)
class EmailMessage:
    to: str
    subject: str
    body: str
    key: str


class SmsGateway(Protocol):
    # True when the gateway sends delivery reports back for the messages it takes: only then
    # can an interrupted send be told apart from one that never reached it.
    reports_delivery: bool

    def send(self, message: SmsMessage) -> str:
        """Hand the message to the gateway; return the gateway's message id.

        Raises Retryable when the gateway is down, Rejected when it refuses the message.
        """
        ...

    def ping(self) -> None: ...


class EmailGateway(Protocol):
    def send(self, message: EmailMessage) -> str:
        """Hand the message to the mail server; return its message id."""
        ...

    def ping(self) -> None: ...
