"""An in-memory EmailGateway for tests."""

from __future__ import annotations

from lineclose.ports.errors import Retryable
from lineclose.ports.messaging import EmailMessage

SYSTEM = "in-memory email"


class InMemoryEmail:
    """Records every message handed to it, duplicates included, so tests can count sends.

    :meth:`fail_next_send` makes the following sends raise Retryable without recording; setting
    :attr:`down` makes every send and ping raise Retryable until it is cleared.
    """

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self.down = False
        self._failures_left = 0

    def fail_next_send(self, times: int = 1) -> None:
        """Make the next ``times`` sends raise Retryable."""
        self._failures_left = times

    def send(self, message: EmailMessage) -> str:
        """Record the message and return ``email-<n>``, n counting recorded messages from 1."""
        if self.down:
            raise Retryable(SYSTEM, "mail server is down")
        if self._failures_left > 0:
            self._failures_left -= 1
            raise Retryable(SYSTEM, "simulated failure")
        self.sent.append(message)
        return f"email-{len(self.sent)}"

    def ping(self) -> None:
        """Raise Retryable while the mail server is down."""
        if self.down:
            raise Retryable(SYSTEM, "mail server is down")

    def sent_to(self, to: str) -> list[EmailMessage]:
        """The recorded messages for one address, in sending order."""
        return [message for message in self.sent if message.to == to]
