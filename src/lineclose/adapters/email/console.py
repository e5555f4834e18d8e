"""An EmailGateway that prints messages instead of sending them, for demonstrations."""

from __future__ import annotations

import logging

from lineclose.domain.identifiers import mask_contact
from lineclose.ports.messaging import EmailMessage

logger = logging.getLogger("lineclose.email")


class ConsoleEmail:
    """Logs every message to the ``lineclose.email`` logger and keeps it in :attr:`sent`."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> str:
        """Log the message and return ``console-<n>``, n counting from 1."""
        self.sent.append(message)
        message_id = f"console-{len(self.sent)}"
        logger.info(
            "E-mail %s to %s (key %s)\nSubject: %s\n\n%s",
            message_id,
            mask_contact(message.to),
            message.key,
            message.subject,
            message.body,
        )
        return message_id

    def ping(self) -> None:
        """Always healthy."""
