"""SMS as a channel of its own: INFO, CLOSE, STOP texted to the operator's short code."""

from lineclose.services.sms_keywords.handler import Handled, handle_inbound

__all__ = ["Handled", "handle_inbound"]
