"""A production-shaped rig for the crash and scale-out tests.

Lines and approved closure requests are made in this process; then `lineclose serve` (for
Kannel's delivery reports) and several `lineclose worker` processes run against the same
database, the HLR (a real osmo-hlr when installed, else the built-in registry) and Kannel with
fakesmsc as the network. The rig can SIGKILL workers at random moments and restart them.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from pydantic import SecretStr
from sqlalchemy import func, select

from lineclose.adapters.sms.kannel import inbound_get_url
from lineclose.bootstrap import App, bootstrap, build_hlr
from lineclose.config import Settings
from lineclose.db import models
from lineclose.domain.facts import IdentityMethod
from lineclose.ports.hlr import Hlr
from lineclose.services import closure, operations
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.identity import IdentityEvidence
from lineclose.services.notices import SEND_SMS
from tests.factories import make_line, make_operator
from tests.support.kannel import KannelInstance, _free_ports, running_kannel
from tests.support.osmo_hlr import running_osmo_hlr

CALLBACK_SECRET = "crash-test-callback-secret"
AGENT = Actor(Role.AGENT, "rig-agent", Channel.STORE)
REVIEWER = Actor(Role.REVIEWER, "rig-reviewer", Channel.SYSTEM)
ADMIN = Actor(Role.ADMIN, "rig-admin", Channel.SYSTEM)


def lineclose_command() -> list[str]:
    script = Path(sys.executable).parent / "lineclose"
    if script.exists():
        return [str(script)]
    found = shutil.which("lineclose")
    assert found, "the lineclose command is not installed (pip install -e .)"
    return [found]


@dataclass
class Figures:
    requests: int = 0
    kills: int = 0
    seconds: float = 0.0
    steps_repeated: int = 0
    confirmed_by_report: int = 0
    uncertain_retried: int = 0
    hlr: str = ""


@dataclass
class Rig:
    database_url: str
    data_keys: str
    env: dict[str, str]
    app: App
    hlr: Hlr
    hlr_kind: str
    kannel: KannelInstance
    workdir: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    figures: Figures = field(default_factory=Figures)
    _spawned: int = 0
    _logs: dict[int, Path] = field(default_factory=dict)

    def spawn_worker(self) -> subprocess.Popen[bytes]:
        self._spawned += 1
        log = (self.workdir / f"worker-{self._spawned}.log").open("wb")
        process = subprocess.Popen(
            [*lineclose_command(), "worker"], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self._logs[process.pid] = self.workdir / f"worker-{self._spawned}.log"
        return process

    def _working_since(self, process: subprocess.Popen[bytes]) -> bool:
        """True once the worker has logged a step: it is past its start-up."""
        log = self._logs[process.pid]
        return log.exists() and log.stat().st_size > 0

    def make_requests(self, count: int) -> list[str]:
        """Approved closure requests on `count` fresh lines, each with a refund due."""
        references: list[str] = []
        made: list[tuple[str, str]] = []
        with self.app.sessions.begin() as session:
            operator = make_operator(session, self.app.deps, "cn")
            operator_id = operator.id
        for start in range(0, count, 50):
            with self.app.sessions.begin() as session:
                operator = session.get(models.Operator, operator_id)
                assert operator is not None
                for _ in range(start, min(start + 50, count)):
                    # No service password: hashing one is slow on purpose, and unused here.
                    line = make_line(
                        session,
                        self.app.deps,
                        operator,
                        paid_credit_minor=5_000,
                        service_password=None,
                    )
                    made.append((line.imsi, line.msisdn.lstrip("+")))
                    submitted = closure.submit(
                        session,
                        self.app.deps,
                        AGENT,
                        line.msisdn,
                        closure.ClosureInput(
                            refund_account="6222020200112233445",
                            identity=(IdentityEvidence(IdentityMethod.ID_DOCUMENT_SEEN),),
                        ),
                    )
                    closure.approve(session, self.app.deps, REVIEWER, submitted.request.reference)
                    references.append(submitted.request.reference)
        for imsi, msisdn in made:
            self.hlr.create_subscriber(imsi, msisdn)  # type: ignore[attr-defined]
        self.figures.requests = count
        return references

    def progress(self) -> tuple[int, int]:
        """(closed requests, outbox steps still pending)."""
        with self.app.sessions() as session:
            closed = session.execute(
                select(func.count()).where(models.ClosureRequest.status == "closed")
            ).scalar_one()
            pending = session.execute(
                select(func.count()).where(models.OutboxRow.status == "pending")
            ).scalar_one()
        return closed, pending

    def run_until_drained(
        self, workers: int, kill: bool, timeout: float, rng: random.Random
    ) -> None:
        """Run the workers until every request is closed and nothing is pending. With `kill`,
        each worker is SIGKILLed at a random moment 0-1.5 s after it performed its first step
        (so kills land in work, not in start-up, however loaded the machine) and replaced."""
        started = time.monotonic()
        # Workers of an earlier round must not outlive it: they would take later tests' steps.
        self.stop_workers()
        self.workers = [self.spawn_worker() for _ in range(workers)]
        doom: dict[int, float] = {}
        while True:
            closed, pending = self.progress()
            if closed == self.figures.requests and pending == 0:
                break
            assert time.monotonic() - started < timeout, (
                f"not drained in {timeout}s: {closed} closed, {pending} pending; see {self.workdir}"
            )
            time.sleep(0.1)
            if not kill:
                continue
            now = time.monotonic()
            for index, process in enumerate(self.workers):
                if process.pid not in doom and self._working_since(process):
                    doom[process.pid] = now + rng.uniform(0.0, 1.5)
                if doom.get(process.pid, now + 1) <= now:
                    process.send_signal(signal.SIGKILL)
                    process.wait()
                    self.figures.kills += 1
                    self.workers[index] = self.spawn_worker()
        self.figures.seconds += time.monotonic() - started

    def retry_uncertain(self) -> list[int]:
        """Staff check that no uncertain notice reached the network, then send them again, as
        the runbook says; returns their ids."""
        vault = self.app.deps.vault
        with self.app.sessions.begin() as session:
            rows = list(
                session.execute(
                    select(models.OutboxRow).where(models.OutboxRow.status == "uncertain")
                ).scalars()
            )
            received = self.received_sms()
            for row in rows:
                to = vault.decrypt(row.payload["to_enc"]).lstrip("+")
                assert (to, vault.decrypt(row.payload["text_enc"])) not in received, row.id
            ids = [row.id for row in rows]
            for row_id in ids:
                operations.retry_dead_letter(session, self.app.deps, ADMIN, row_id)
        self.figures.uncertain_retried += len(ids)
        return ids

    def stop_workers(self) -> None:
        for process in self.workers:
            process.send_signal(signal.SIGTERM)
        for process in self.workers:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.workers = []

    def expected_sms(self) -> Counter[tuple[str, str]]:
        """(receiver digits, text) of every SMS step, each expected once."""
        vault = self.app.deps.vault
        with self.app.sessions() as session:
            rows = session.execute(
                select(models.OutboxRow).where(models.OutboxRow.step == SEND_SMS)
            ).scalars()
            return Counter(
                (
                    vault.decrypt(row.payload["to_enc"]).lstrip("+"),
                    vault.decrypt(row.payload["text_enc"]),
                )
                for row in rows
            )

    def received_sms(self) -> Counter[tuple[str, str]]:
        return Counter(
            (message.receiver.lstrip("+"), message.text) for message in self.kannel.received()
        )


def _wait_for_api(url: str, process: subprocess.Popen[bytes], workdir: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, f"lineclose serve exited; see {workdir}/api.log"
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"lineclose serve did not start; see {workdir}"
        time.sleep(0.2)


@contextmanager
def closure_rig(database_url: str, data_keys: str, workdir: Path) -> Iterator[Rig]:
    """Kannel, the HLR and `lineclose serve` around a wired in-process app."""
    with ExitStack() as stack:
        (api_port,) = _free_ports(1)
        api_url = f"http://127.0.0.1:{api_port}"
        kannel = stack.enter_context(
            running_kannel(
                inbound_get_url(f"{api_url}/api/v1/sms/inbound?secret={CALLBACK_SECRET}")
            )
        )
        env = {
            **os.environ,
            "LINECLOSE_DATABASE_URL": database_url,
            "LINECLOSE_DATA_KEYS": data_keys,
            "LINECLOSE_SMS_BACKEND": "kannel",
            "LINECLOSE_KANNEL_SENDSMS_URL": kannel.sendsms_url,
            "LINECLOSE_KANNEL_USERNAME": kannel.username,
            "LINECLOSE_KANNEL_PASSWORD": kannel.password,
            "LINECLOSE_KANNEL_SENDER": "10086",
            "LINECLOSE_KANNEL_DLR_URL": f"{api_url}/api/v1/sms/dlr?secret={CALLBACK_SECRET}",
            "LINECLOSE_SMS_CALLBACK_SECRET": CALLBACK_SECRET,
            "LINECLOSE_EMAIL_BACKEND": "console",
            "LINECLOSE_WORKER_LEASE_SECONDS": "2",
            "LINECLOSE_WORKER_POLL_SECONDS": "0.1",
            "LINECLOSE_WORKER_MAX_ATTEMPTS": "100",
            # Delivery reports come back in milliseconds; the margin keeps a loaded machine
            # from calling a delivered message uncertain.
            "LINECLOSE_SMS_REPORT_WAIT_SECONDS": "10",
            "LINECLOSE_LOG_LEVEL": "INFO",
        }
        if shutil.which("osmo-hlr"):
            endpoint = stack.enter_context(running_osmo_hlr())
            env.update(
                LINECLOSE_HLR_BACKEND="osmo",
                LINECLOSE_OSMO_HLR_HOST=endpoint.host,
                LINECLOSE_OSMO_HLR_CTRL_PORT=str(endpoint.ctrl_port),
            )
            hlr_kind = "osmo-hlr"
        else:
            env["LINECLOSE_HLR_BACKEND"] = "registry"
            hlr_kind = "registry"
        real = Settings(
            database_url=database_url,
            data_keys=SecretStr(data_keys),
            hlr_backend=env["LINECLOSE_HLR_BACKEND"],  # type: ignore[arg-type]
            osmo_hlr_host=env.get("LINECLOSE_OSMO_HLR_HOST", "127.0.0.1"),
            osmo_hlr_ctrl_port=int(env.get("LINECLOSE_OSMO_HLR_CTRL_PORT", "4259")),
        )
        # Lines are made with the in-memory HLR in the transaction, then registered in the
        # real one after commit: the registry writes in a transaction of its own.
        app = bootstrap(real.model_copy(update={"hlr_backend": "fake"}))
        stack.callback(app.engine.dispose)
        hlr = build_hlr(real, app.sessions, app.deps.clock)
        api_log = (workdir / "api.log").open("ab")
        api = subprocess.Popen(
            [*lineclose_command(), "serve", "--host", "127.0.0.1", "--port", str(api_port)],
            env=env,
            stdout=api_log,
            stderr=subprocess.STDOUT,
        )
        api_log.close()
        stack.callback(lambda: (api.terminate(), api.wait(10)))
        _wait_for_api(api_url, api, workdir)
        rig = Rig(database_url, data_keys, env, app, hlr, hlr_kind, kannel, workdir)
        rig.figures.hlr = hlr_kind
        stack.callback(rig.stop_workers)
        yield rig
