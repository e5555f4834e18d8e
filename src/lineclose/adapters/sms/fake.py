"""An in-memory SmsGateway for tests."""

from __future__ import annotations

from lineclose.ports.errors import Retryable
from lineclose.ports.messaging import SmsMessage

SYSTEM = "in-memory sms"


class InMemorySms:
    """Records every message handed to it, duplicates included, so tests can count sends.

    :meth:`fail_next_send` makes the following sends raise Retryable without recording; setting
    :attr:`down` makes every send and ping raise Retryable until it is cleared.
    """

    def __init__(self) -> None:
        self.reports_delivery = False
        self.sent: list[SmsMessage] = []
        self.down = False
        self._failures_left = 0

    def fail_next_send(self, times: int = 1) -> None:
        """Make the next ``times`` sends raise Retryable."""
        self._failures_left = times

    def send(self, message: SmsMessage) -> str:
        """Record the message and return ``sms-<n>``, n counting recorded messages from 1."""
        if self.down:
            raise Retryable(SYSTEM, "gateway is down")
        if self._failures_left > 0:
            self._failures_left -= 1
            raise Retryable(SYSTEM, "simulated failure")
        self.sent.append(message)
        return f"sms-{len(self.sent)}"

    def ping(self) -> None:
        """Raise Retryable while the gateway is down."""
        if self.down:
            raise Retryable(SYSTEM, "gateway is down")

    def sent_to(self, to: str) -> list[SmsMessage]:
        """The recorded messages for one receiver, in sending order."""
        return [message for message in self.sent if message.to == to]
