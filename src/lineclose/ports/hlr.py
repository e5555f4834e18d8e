"""The home location register (HLR/HSS): where a SIM is allowed, or not, to attach to the network."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from lineclose.ports.errors import PortError


@dataclass(frozen=True)
class HlrSubscriber:
    imsi: str
    msisdn: str | None
    network_access: str  # "cs+ps", "cs", "ps" or "none"


@dataclass(frozen=True)
class HlrBar:
    """One line to bar, with its step's idempotency key."""

    imsi: str
    msisdn: str
    key: str


class Hlr(Protocol):
    """Closing a line bars it (no network access, MSISDN detached) and keeps the record;
    the record is deleted only when the number's aging ends, so a closed SIM can never
    attach again and the closure can still be investigated meanwhile.

    Every call is idempotent: repeating it after a crash has the same effect as once.
    `key` is the step's idempotency key, passed on to systems that can record it.
    """

    def lookup(self, imsi: str) -> HlrSubscriber | None: ...

    def bar(self, imsi: str, msisdn: str, key: str) -> None:
        """Set network access to none and detach the MSISDN. Missing IMSI -> Misconfigured."""
        ...

    def bar_many(self, bars: Sequence[HlrBar]) -> list[PortError | None]:
        """Bar many lines in one exchange: for each, in order, None once it is barred or the
        error `bar` would have raised for it. An HLR that cannot be reached at all raises
        Retryable for the whole batch."""
        ...

    def purge(self, imsi: str, key: str) -> None:
        """Delete the subscriber record. An already-absent record is not an error."""
        ...

    def ping(self) -> None:
        """Raise Retryable when the HLR cannot be reached."""
        ...
