"""An SmsGateway that prints messages instead of sending them, for demonstrations only.

It prints one-time codes in clear to the process's log: production mode refuses it at start-up
(`lineclose.security.production`), and it says so in the log when it starts.
"""

from __future__ import annotations

import logging

from lineclose.domain.identifiers import mask_contact
from lineclose.ports.messaging import SmsMessage

logger = logging.getLogger("lineclose.sms")


class ConsoleSms:
    """Logs every message to the ``lineclose.sms`` logger and keeps it in :attr:`sent`."""

    reports_delivery = False

    def __init__(self) -> None:
        self.sent: list[SmsMessage] = []
        logger.warning(
            "console SMS gateway (demo only): messages, one-time codes included, are printed to "
            "this log and never sent; use LINECLOSE_SMS_BACKEND=kannel outside the demo"
        )

    def send(self, message: SmsMessage) -> str:
        """Log the message and return ``console-<n>``, n counting from 1."""
        self.sent.append(message)
        message_id = f"console-{len(self.sent)}"
        logger.info(
            "SMS %s to %s (key %s):\n%s",
            message_id,
            mask_contact(message.to),
            message.key,
            message.text,
        )
        return message_id

    def ping(self) -> None:
        """Always healthy."""
