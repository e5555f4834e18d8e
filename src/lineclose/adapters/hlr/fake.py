"""An HLR held in memory, with the same rules as the osmo-hlr adapter, for tests and demos."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from lineclose.ports.errors import Misconfigured, PortError, Rejected, Retryable
from lineclose.ports.hlr import HlrBar, HlrSubscriber

SYSTEM = "in-memory HLR"

_IMSI = re.compile(r"[0-9]{6,15}")
_MSISDN = re.compile(r"[0-9]{1,15}")


@dataclass
class _Record:
    msisdn: str | None
    cs: bool = True
    ps: bool = True

    def access(self) -> str:
        return {(True, True): "cs+ps", (True, False): "cs", (False, True): "ps"}.get(
            (self.cs, self.ps), "none"
        )


@dataclass
class HlrEffects:
    """What the fake was asked to do and what actually changed state.

    `*_calls` count every call that got past the failure switch; `bars_applied` and
    `purges_applied` count only calls that changed a record, so a repeated bar or purge shows
    up as a call without an effect.
    """

    bar_calls: int = 0
    batch_calls: int = 0
    bars_applied: int = 0
    purge_calls: int = 0
    purges_applied: int = 0
    lookup_calls: int = 0
    ping_calls: int = 0
    keys: list[str] = field(default_factory=list)


class InMemoryHlr:
    """The `Hlr` port without a network. Rules, shared with the osmo-hlr adapter:

    - IMSIs are 6 to 15 digits and MSISDNs 1 to 15 digits (a leading '+' is dropped),
      anything else -> Rejected before any change;
    - bar of an unknown IMSI -> Misconfigured; of a record holding another MSISDN -> Rejected,
      unchanged; otherwise access becomes "none" and the MSISDN is detached, record kept;
    - purge deletes the record, an absent one is fine;
    - `fail_next_calls` makes the next calls raise (Retryable unless told otherwise),
      as an unreachable HLR would, without touching any record.
    """

    def __init__(self) -> None:
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()
        self._failures: list[PortError] = []
        self.effects = HlrEffects()

    def fail_next_calls(self, count: int = 1, error: PortError | None = None) -> None:
        """Make the next `count` calls (of any method) raise `error`, Retryable by default."""
        with self._lock:
            for _ in range(count):
                self._failures.append(error or Retryable(SYSTEM, "unreachable (simulated)"))

    def create_subscriber(self, imsi: str, msisdn: str) -> None:
        """Seed a subscriber with full access. Existing IMSI or MSISDN in use -> Rejected."""
        _check_imsi(imsi)
        number = _normalize_msisdn(msisdn)
        with self._lock:
            self._maybe_fail()
            if imsi in self._records:
                raise Rejected(SYSTEM, f"IMSI {imsi} already exists")
            if any(record.msisdn == number for record in self._records.values()):
                raise Rejected(SYSTEM, f"MSISDN {number} already in use")
            self._records[imsi] = _Record(msisdn=number)

    def lookup(self, imsi: str) -> HlrSubscriber | None:
        _check_imsi(imsi)
        with self._lock:
            self._maybe_fail()
            self.effects.lookup_calls += 1
            record = self._records.get(imsi)
            if record is None:
                return None
            return HlrSubscriber(imsi=imsi, msisdn=record.msisdn, network_access=record.access())

    def bar(self, imsi: str, msisdn: str, key: str) -> None:
        with self._lock:
            self._maybe_fail()
        self._bar_one(imsi, msisdn, key)

    def _bar_one(self, imsi: str, msisdn: str, key: str) -> None:
        _check_imsi(imsi)
        number = _normalize_msisdn(msisdn)
        with self._lock:
            self.effects.bar_calls += 1
            self.effects.keys.append(key)
            record = self._records.get(imsi)
            if record is None:
                raise Misconfigured(SYSTEM, f"no subscriber with IMSI {imsi} to bar")
            if record.msisdn is not None and record.msisdn != number:
                raise Rejected(
                    SYSTEM, f"IMSI {imsi} carries MSISDN {record.msisdn}, not {number}; unchanged"
                )
            if record.cs or record.ps or record.msisdn is not None:
                record.cs = record.ps = False
                record.msisdn = None
                self.effects.bars_applied += 1

    def bar_many(self, bars: Sequence[HlrBar]) -> list[PortError | None]:
        """One exchange for the batch: a simulated failure fails the whole batch, as an
        unreachable HLR would; each bar then follows the rules of `bar`."""
        with self._lock:
            self._maybe_fail()
            self.effects.batch_calls += 1
        outcomes: list[PortError | None] = []
        for bar in bars:
            try:
                self._bar_one(bar.imsi, bar.msisdn, bar.key)
                outcomes.append(None)
            except PortError as exc:
                outcomes.append(exc)
        return outcomes

    def purge(self, imsi: str, key: str) -> None:
        _check_imsi(imsi)
        with self._lock:
            self._maybe_fail()
            self.effects.purge_calls += 1
            self.effects.keys.append(key)
            if self._records.pop(imsi, None) is not None:
                self.effects.purges_applied += 1

    def ping(self) -> None:
        with self._lock:
            self._maybe_fail()
            self.effects.ping_calls += 1

    def _maybe_fail(self) -> None:
        if self._failures:
            raise self._failures.pop(0)


def _check_imsi(imsi: str) -> None:
    if not _IMSI.fullmatch(imsi):
        raise Rejected(SYSTEM, f"not an IMSI: {imsi!r}")


def _normalize_msisdn(msisdn: str) -> str:
    digits = msisdn.removeprefix("+")
    if not _MSISDN.fullmatch(digits):
        raise Rejected(SYSTEM, f"not an MSISDN: {msisdn!r}")
    return digits
