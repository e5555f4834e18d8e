"""The built-in line registry: the HLR of the embedded default, kept in Lineclose's own database.

It holds the same contract as osmo-hlr (tests/contract/test_hlr_contract.py): IMSIs and MSISDNs
are checked as osmo-hlr checks them, MSISDNs are kept as digits without the plus, barring a
record that carries another MSISDN is refused, and a database that cannot be reached is
Retryable, like a network element that does not answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from lineclose.db.models import HlrRegistryEntry
from lineclose.ports.clock import Clock
from lineclose.ports.errors import Misconfigured, PortError, Rejected, Retryable
from lineclose.ports.hlr import HlrBar, HlrSubscriber

SYSTEM = "registry"

_IMSI = re.compile(r"[0-9]{6,15}")
_MSISDN = re.compile(r"[0-9]{1,15}")


def _check_imsi(imsi: str) -> None:
    if not _IMSI.fullmatch(imsi):
        raise Rejected(SYSTEM, f"not an IMSI: {imsi!r}")


def _digits(msisdn: str) -> str:
    digits = msisdn.removeprefix("+")
    if not _MSISDN.fullmatch(digits):
        raise Rejected(SYSTEM, f"not an MSISDN: {msisdn!r}")
    return digits


class RegistryHlr:
    """Each call runs in its own short transaction, like a call to a separate network element."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        try:
            with self._sessions.begin() as session:
                yield session
        except (OperationalError, DBAPIError) as exc:
            if isinstance(exc, OperationalError) or exc.connection_invalidated:
                raise Retryable(SYSTEM, "line registry unavailable") from None
            raise

    def create_subscriber(self, imsi: str, msisdn: str) -> None:
        """Seed a subscriber with full access. An IMSI or MSISDN already present -> Rejected."""
        _check_imsi(imsi)
        number = _digits(msisdn)
        with self._transaction() as session:
            if session.get(HlrRegistryEntry, imsi) is not None:
                raise Rejected(SYSTEM, f"IMSI {imsi} already exists")
            taken = session.execute(
                select(HlrRegistryEntry.imsi).where(HlrRegistryEntry.msisdn == number)
            ).first()
            if taken is not None:
                raise Rejected(SYSTEM, f"MSISDN {number} already in use")
            session.add(
                HlrRegistryEntry(
                    imsi=imsi,
                    msisdn=number,
                    network_access="cs+ps",
                    updated_at=self._clock.now(),
                )
            )

    def lookup(self, imsi: str) -> HlrSubscriber | None:
        _check_imsi(imsi)
        with self._transaction() as session:
            entry = session.get(HlrRegistryEntry, imsi)
            if entry is None:
                return None
            return HlrSubscriber(entry.imsi, entry.msisdn, entry.network_access)

    def bar(self, imsi: str, msisdn: str, key: str) -> None:
        _check_imsi(imsi)
        number = _digits(msisdn)
        with self._transaction() as session:
            entry = session.get(HlrRegistryEntry, imsi)
            if entry is None:
                raise Misconfigured(SYSTEM, f"no subscriber with IMSI {imsi} to bar")
            if entry.msisdn is not None and entry.msisdn != number:
                raise Rejected(
                    SYSTEM, f"IMSI {imsi} carries MSISDN {entry.msisdn}, not {number}; unchanged"
                )
            if entry.network_access != "none" or entry.msisdn is not None:
                entry.network_access = "none"
                entry.msisdn = None
                entry.updated_at = self._clock.now()

    def bar_many(self, bars: Sequence[HlrBar]) -> list[PortError | None]:
        """One transaction for the batch: the records read with one query, those to change
        barred with one UPDATE."""
        outcomes: list[PortError | None] = []
        numbers: list[str | None] = []
        for bar in bars:
            try:
                _check_imsi(bar.imsi)
                numbers.append(_digits(bar.msisdn))
                outcomes.append(None)
            except Rejected as exc:
                numbers.append(None)
                outcomes.append(exc)
        with self._transaction() as session:
            entries = {
                imsi: (msisdn, access)
                for imsi, msisdn, access in session.execute(
                    select(
                        HlrRegistryEntry.imsi,
                        HlrRegistryEntry.msisdn,
                        HlrRegistryEntry.network_access,
                    ).where(HlrRegistryEntry.imsi.in_([b.imsi for b in bars]))
                )
            }
            to_bar: list[str] = []
            for index, (bar, number) in enumerate(zip(bars, numbers, strict=True)):
                if number is None:
                    continue
                entry = entries.get(bar.imsi)
                if entry is None:
                    outcomes[index] = Misconfigured(
                        SYSTEM, f"no subscriber with IMSI {bar.imsi} to bar"
                    )
                elif entry[0] is not None and entry[0] != number:
                    outcomes[index] = Rejected(
                        SYSTEM,
                        f"IMSI {bar.imsi} carries MSISDN {entry[0]}, not {number}; unchanged",
                    )
                elif entry[1] != "none" or entry[0] is not None:
                    to_bar.append(bar.imsi)
            if to_bar:
                session.execute(
                    update(HlrRegistryEntry)
                    .where(HlrRegistryEntry.imsi.in_(to_bar))
                    .values(network_access="none", msisdn=None, updated_at=self._clock.now())
                )
        return outcomes

    def purge(self, imsi: str, key: str) -> None:
        _check_imsi(imsi)
        with self._transaction() as session:
            session.execute(delete(HlrRegistryEntry).where(HlrRegistryEntry.imsi == imsi))

    def ping(self) -> None:
        with self._transaction() as session:
            session.execute(select(1))
