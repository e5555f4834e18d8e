"""Errors every adapter translates its vendor's failures into, so services never see a
library's exception."""

from __future__ import annotations


class PortError(Exception):
    """An outside system could not do what was asked."""

    def __init__(self, system: str, detail: str) -> None:
        super().__init__(f"{system}: {detail}")
        self.system = system
        self.detail = detail


class Retryable(PortError):
    """The system is unavailable or timed out; the same call may succeed later."""


class Rejected(PortError):
    """The system refused the call as given; retrying the same call will not help."""


class Misconfigured(PortError):
    """Lineclose is set up wrongly for this system (address, credentials, missing record)."""


class Unconfirmed(Retryable):
    """The call went out but its answer was lost (a read timeout, a dropped connection), so the
    system may have acted on it. Steps that must not repeat a call treat it as possibly done."""
