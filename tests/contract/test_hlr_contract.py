"""The `Hlr` contract, held by the in-memory fake, the built-in line registry (on SQLite) and
the osmo-hlr adapter on a real osmo-hlr."""

from __future__ import annotations

import itertools
import shutil
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.support.osmo_hlr import OsmoHlrEndpoint, running_osmo_hlr, vty_show_subscriber

from lineclose.adapters.hlr.fake import InMemoryHlr
from lineclose.adapters.hlr.osmo import OsmoHlr
from lineclose.adapters.hlr.registry import RegistryHlr
from lineclose.db.engine import make_engine, make_session_factory
from lineclose.db.models import HlrRegistryEntry
from lineclose.ports.clock import FrozenClock
from lineclose.ports.errors import Misconfigured, Rejected, Retryable
from lineclose.ports.hlr import Hlr, HlrBar, HlrSubscriber

_serial = itertools.count(1)


def fresh_imsi() -> str:
    """A new IMSI per call, so tests sharing one osmo-hlr never see each other's records."""
    return f"90170{next(_serial):010d}"


def fresh_msisdn() -> str:
    return f"4917{next(_serial):08d}"


@dataclass
class Backend:
    """An HLR under test plus ways to seed it and to observe it without the adapter's help."""

    hlr: Hlr
    seed: Callable[[str, str], None]
    # Network access and MSISDN as stored, or None when there is no record.
    stored: Callable[[str], tuple[str, str | None] | None]
    # HLRs configured like `hlr` that cannot be reached.
    unreachable: Callable[[], list[Hlr]]


def _fake_backend() -> Backend:
    fake = InMemoryHlr()

    def stored(imsi: str) -> tuple[str, str | None] | None:
        found = fake.lookup(imsi)
        return None if found is None else (found.network_access, found.msisdn)

    def unreachable() -> list[Hlr]:
        broken = InMemoryHlr()
        broken.fail_next_calls(count=100)
        return [broken]

    return Backend(hlr=fake, seed=fake.create_subscriber, stored=stored, unreachable=unreachable)


def _vty_state(endpoint: OsmoHlrEndpoint, imsi: str) -> tuple[str, str | None] | None:
    shown = vty_show_subscriber(endpoint.host, endpoint.vty_port, imsi)
    if shown is None:
        return None
    cs = "CS disabled" not in shown
    ps = "PS disabled" not in shown
    access = {(True, True): "cs+ps", (True, False): "cs", (False, True): "ps"}.get((cs, ps), "none")
    msisdn: str | None = None
    for line in shown.splitlines():
        name, _, value = line.strip().partition(": ")
        if name == "MSISDN" and value != "none":
            msisdn = value
    return access, msisdn


@pytest.fixture(scope="module")
def osmo_hlr_endpoint() -> Iterator[OsmoHlrEndpoint]:
    with running_osmo_hlr() as endpoint:
        yield endpoint


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections (the kernel completes them from the backlog)
    and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        port: int = listener.getsockname()[1]
        yield port


def _closed_port() -> int:
    """A loopback port nobody listens on: bound once to reserve a number, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _registry_backend(template: Path, workdir: Path) -> Backend:
    path = workdir / "registry.db"
    shutil.copyfile(template, path)
    sessions = make_session_factory(make_engine(f"sqlite:///{path}"))
    clock = FrozenClock(datetime(2026, 11, 25, 1, 0, tzinfo=UTC))
    registry = RegistryHlr(sessions, clock)

    def stored(imsi: str) -> tuple[str, str | None] | None:
        with sessions() as session:
            entry = session.get(HlrRegistryEntry, imsi)
            return None if entry is None else (entry.network_access, entry.msisdn)

    def unreachable() -> list[Hlr]:
        # A PostgreSQL that is not there: the registry's database cannot be reached.
        url = f"postgresql+psycopg://lineclose@127.0.0.1:{_closed_port()}/registry"
        return [RegistryHlr(make_session_factory(make_engine(url)), clock)]

    return Backend(
        hlr=registry, seed=registry.create_subscriber, stored=stored, unreachable=unreachable
    )


@pytest.fixture(params=["fake", "registry", "osmo-hlr"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "fake":
        return _fake_backend()
    if request.param == "registry":
        template: Path = request.getfixturevalue("sqlite_template")
        return _registry_backend(template, tmp_path)
    endpoint: OsmoHlrEndpoint = request.getfixturevalue("osmo_hlr_endpoint")
    silent: int = request.getfixturevalue("silent_port")
    adapter = OsmoHlr(endpoint.host, endpoint.ctrl_port, timeout=2.0)

    def unreachable() -> list[Hlr]:
        return [
            OsmoHlr("127.0.0.1", _closed_port(), timeout=1.0),
            OsmoHlr("127.0.0.1", silent, timeout=0.3),
        ]

    return Backend(
        hlr=adapter,
        seed=adapter.create_subscriber,
        stored=lambda imsi: _vty_state(endpoint, imsi),
        unreachable=unreachable,
    )


class TestHlrContract:
    def test_lookup_returns_the_seeded_subscriber(self, backend: Backend) -> None:
        imsi, msisdn = fresh_imsi(), fresh_msisdn()
        backend.seed(imsi, msisdn)

        assert backend.hlr.lookup(imsi) == HlrSubscriber(imsi, msisdn, "cs+ps")
        assert backend.stored(imsi) == ("cs+ps", msisdn)

    def test_seeding_an_existing_imsi_is_rejected_and_changes_nothing(
        self, backend: Backend
    ) -> None:
        imsi, msisdn = fresh_imsi(), fresh_msisdn()
        backend.seed(imsi, msisdn)

        with pytest.raises(Rejected):
            backend.seed(imsi, fresh_msisdn())

        assert backend.stored(imsi) == ("cs+ps", msisdn)

    def test_lookup_of_unknown_imsi_is_none(self, backend: Backend) -> None:
        assert backend.hlr.lookup(fresh_imsi()) is None

    def test_bar_removes_access_and_detaches_msisdn_but_keeps_the_record(
        self, backend: Backend
    ) -> None:
        imsi, msisdn = fresh_imsi(), fresh_msisdn()
        backend.seed(imsi, msisdn)

        backend.hlr.bar(imsi, msisdn, key="close-1:bar")

        assert backend.stored(imsi) == ("none", None)
        assert backend.hlr.lookup(imsi) == HlrSubscriber(imsi, None, "none")

    def test_bar_many_bars_each_line_by_the_rules_of_bar_and_reports_each_outcome(
        self, backend: Backend
    ) -> None:
        barred, again, other = fresh_imsi(), fresh_imsi(), fresh_imsi()
        numbers = {imsi: fresh_msisdn() for imsi in (barred, again, other)}
        for imsi, msisdn in numbers.items():
            backend.seed(imsi, msisdn)
        backend.hlr.bar(again, numbers[again], key="earlier")
        unknown = fresh_imsi()

        outcomes = backend.hlr.bar_many(
            [
                HlrBar(barred, f"+{numbers[barred]}", "k1"),
                HlrBar(unknown, fresh_msisdn(), "k2"),
                HlrBar(again, numbers[again], "k3"),
                HlrBar(other, fresh_msisdn(), "k4"),
                HlrBar("not-an-imsi", fresh_msisdn(), "k5"),
            ]
        )

        assert outcomes[0] is None and outcomes[2] is None
        assert isinstance(outcomes[1], Misconfigured)
        assert isinstance(outcomes[3], Rejected) and isinstance(outcomes[4], Rejected)
        assert backend.stored(barred) == ("none", None)
        assert backend.stored(again) == ("none", None)
        assert backend.stored(other) == ("cs+ps", numbers[other])

    def test_bar_accepts_the_msisdn_in_e164_notation(self, backend: Backend) -> None:
        imsi, msisdn = fresh_imsi(), fresh_msisdn()
        backend.seed(imsi, msisdn)

        backend.hlr.bar(imsi, f"+{msisdn}", key="close-1:bar")

        assert backend.stored(imsi) == ("none", None)

    def test_bar_leaves_other_subscribers_alone(self, backend: Backend) -> None:
        closing, keeping = fresh_imsi(), fresh_imsi()
        closing_msisdn, keeping_msisdn = fresh_msisdn(), fresh_msisdn()
        backend.seed(closing, closing_msisdn)
        backend.seed(keeping, keeping_msisdn)

        backend.hlr.bar(closing, closing_msisdn, key="close-1:bar")

        assert backend.stored(keeping) == ("cs+ps", keeping_msisdn)

    def test_bar_twice_is_harmless(self, backend: Backend) -> None:
        imsi, msisdn = fresh_imsi(), fresh_msisdn()
        backend.seed(imsi, msisdn)

        backend.hlr.bar(imsi, msisdn, key="close-1:bar")
        backend.hlr.bar(imsi, msisdn, key="close-1:bar")

        assert backend.stored(imsi) == ("none", None)

    def test_bar_of_unknown_imsi_is_misconfigured_and_creates_nothing(
        self, backend: Backend
    ) -> None:
        imsi = fresh_imsi()

        with pytest.raises(Misconfigured):
            backend.hlr.bar(imsi, fresh_msisdn(), key="close-1:bar")

        assert backend.stored(imsi) is None

    def test_bar_of_a_record_holding_another_msisdn_is_rejected_and_changes_nothing(
        self, backend: Backend
    ) -> None:
        imsi, msisdn = fresh_imsi(), fresh_msisdn()
        backend.seed(imsi, msisdn)

        with pytest.raises(Rejected):
            backend.hlr.bar(imsi, fresh_msisdn(), key="close-1:bar")

        assert backend.stored(imsi) == ("cs+ps", msisdn)

    def test_malformed_imsi_is_rejected(self, backend: Backend) -> None:
        with pytest.raises(Rejected):
            backend.hlr.bar("90170 1\nSET", fresh_msisdn(), key="close-1:bar")
        with pytest.raises(Rejected):
            backend.hlr.purge("not-an-imsi", key="close-1:purge")
        with pytest.raises(Rejected):
            backend.hlr.lookup("123")

    def test_purge_removes_the_record(self, backend: Backend) -> None:
        imsi, msisdn = fresh_imsi(), fresh_msisdn()
        backend.seed(imsi, msisdn)

        backend.hlr.purge(imsi, key="close-1:purge")

        assert backend.stored(imsi) is None
        assert backend.hlr.lookup(imsi) is None

    def test_purge_after_bar_removes_the_record(self, backend: Backend) -> None:
        imsi, msisdn = fresh_imsi(), fresh_msisdn()
        backend.seed(imsi, msisdn)
        backend.hlr.bar(imsi, msisdn, key="close-1:bar")

        backend.hlr.purge(imsi, key="close-1:purge")

        assert backend.stored(imsi) is None

    def test_purge_twice_and_purge_of_unknown_are_harmless(self, backend: Backend) -> None:
        imsi, msisdn, other = fresh_imsi(), fresh_msisdn(), fresh_imsi()
        backend.seed(imsi, msisdn)

        backend.hlr.purge(imsi, key="close-1:purge")
        backend.hlr.purge(imsi, key="close-1:purge")
        backend.hlr.purge(other, key="close-2:purge")

        assert backend.stored(imsi) is None

    def test_ping_succeeds_when_reachable_and_only_then(self, backend: Backend) -> None:
        assert backend.hlr.ping() is None
        unreachable = list(backend.unreachable())
        assert unreachable
        for hlr in unreachable:
            with pytest.raises(Retryable):
                hlr.ping()

    def test_every_call_is_retryable_when_the_hlr_cannot_be_reached(self, backend: Backend) -> None:
        imsi, msisdn = fresh_imsi(), fresh_msisdn()
        for hlr in backend.unreachable():
            with pytest.raises(Retryable):
                hlr.ping()
            with pytest.raises(Retryable):
                hlr.lookup(imsi)
            with pytest.raises(Retryable):
                hlr.bar(imsi, msisdn, key="close-1:bar")
            with pytest.raises(Retryable):
                hlr.purge(imsi, key="close-1:purge")
