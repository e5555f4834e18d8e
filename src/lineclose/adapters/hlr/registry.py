"""The built-in line registry: the HLR of the embedded default, kept in Lineclose's own database."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from lineclose.db.models import HlrRegistryEntry
from lineclose.ports.clock import Clock
from lineclose.ports.errors import Misconfigured, Retryable
from lineclose.ports.hlr import HlrSubscriber


class RegistryHlr:
    """Each call runs in its own short transaction, like a call to a separate network element."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    def create_subscriber(self, imsi: str, msisdn: str) -> None:
        with self._sessions.begin() as session:
            if session.get(HlrRegistryEntry, imsi) is None:
                session.add(
                    HlrRegistryEntry(
                        imsi=imsi,
                        msisdn=msisdn,
                        network_access="cs+ps",
                        updated_at=self._clock.now(),
                    )
                )

    def lookup(self, imsi: str) -> HlrSubscriber | None:
        with self._sessions() as session:
            entry = session.get(HlrRegistryEntry, imsi)
            if entry is None:
                return None
            return HlrSubscriber(entry.imsi, entry.msisdn, entry.network_access)

    def bar(self, imsi: str, msisdn: str, key: str) -> None:
        try:
            with self._sessions.begin() as session:
                entry = session.get(HlrRegistryEntry, imsi)
                if entry is None:
                    raise Misconfigured(
                        "registry", "no subscriber with this IMSI in the line registry"
                    )
                entry.network_access = "none"
                entry.msisdn = None
                entry.updated_at = self._clock.now()
        except OperationalError as exc:
            raise Retryable("registry", "line registry unavailable") from exc

    def purge(self, imsi: str, key: str) -> None:
        try:
            with self._sessions.begin() as session:
                session.execute(delete(HlrRegistryEntry).where(HlrRegistryEntry.imsi == imsi))
        except OperationalError as exc:
            raise Retryable("registry", "line registry unavailable") from exc

    def ping(self) -> None:
        try:
            with self._sessions() as session:
                session.execute(select(1))
        except OperationalError as exc:
            raise Retryable("registry", "line registry unavailable") from exc
