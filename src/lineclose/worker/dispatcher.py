"""The worker: claims due outbox steps, performs them, and runs the sweeps.

A step's effects and its `done` mark commit together; a failed step is retried with backoff
and, when it keeps failing or is refused outright, becomes a dead letter staff can retry.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from lineclose.db.models import OutboxRow
from lineclose.db.outbox import Claimed, backoff, claim
from lineclose.ports.errors import Misconfigured, Rejected, Retryable
from lineclose.services import sweeps
from lineclose.services.context import Deps
from lineclose.services.execution import STEPS

log = logging.getLogger("lineclose.worker")


@dataclass
class RunReport:
    done: int = 0
    retried: int = 0
    dead: int = 0


class Worker:
    def __init__(
        self, sessions: sessionmaker[Session], deps: Deps, name: str | None = None
    ) -> None:
        self.sessions = sessions
        self.deps = deps
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        self._stop = threading.Event()

    def _lease(self) -> timedelta:
        return timedelta(seconds=self.deps.settings.worker_lease_seconds)

    def _claim(self) -> Claimed | None:
        with self.sessions.begin() as session:
            return claim(session, self.deps.clock.now(), self.name, self._lease())

    def _fail(self, claimed: Claimed, error: str, final: bool) -> str:
        now = self.deps.clock.now()
        dead = final or claimed.attempts >= self.deps.settings.worker_max_attempts
        with self.sessions.begin() as session:
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == claimed.id, OutboxRow.locked_by == self.name)
                .values(
                    status="dead" if dead else "pending",
                    available_at=now + backoff(claimed.attempts),
                    locked_until=None,
                    locked_by=None,
                    last_error=error[:500],
                )
            )
        return "dead" if dead else "retried"

    def run_one(self) -> str | None:
        """Perform one due step; returns 'done', 'retried', 'dead', or None when nothing is due."""
        claimed = self._claim()
        if claimed is None:
            return None
        step = STEPS.get(claimed.step)
        if step is None:
            return self._fail(claimed, f"no handler for step {claimed.step}", final=True)
        try:
            outcome: dict[str, Any] = {}
            if step.call is not None:
                assert step.prepare is not None
                with self.sessions() as session:
                    prepared = step.prepare(session, claimed)
                outcome = step.call(self.deps, claimed, prepared)
            with self.sessions.begin() as session:
                row = session.execute(
                    select(OutboxRow).where(OutboxRow.id == claimed.id).with_for_update()
                ).scalar_one()
                if row.status != "pending" or row.locked_by != self.name:
                    return None  # our lease ran out and another worker took the step
                row.result = step.record(session, self.deps, claimed, outcome)
                row.status = "done"
                row.done_at = self.deps.clock.now()
                row.locked_until = None
                row.last_error = None
        except Retryable as exc:
            log.warning("step %s %s will be retried: %s", claimed.step, claimed.key, exc)
            return self._fail(claimed, str(exc), final=False)
        except (Rejected, Misconfigured) as exc:
            log.error("step %s %s refused: %s", claimed.step, claimed.key, exc)
            return self._fail(claimed, str(exc), final=True)
        except Exception as exc:
            # Unknown failures are retried; the error class, not its text, avoids leaking data.
            log.exception("step %s %s failed", claimed.step, claimed.key)
            return self._fail(claimed, f"unexpected {type(exc).__name__}", final=False)
        log.info("step %s %s done", claimed.step, claimed.key)
        return "done"

    def run_sweeps(self) -> sweeps.SweepReport:
        with self.sessions.begin() as session:
            return sweeps.run_all(session, self.deps)

    def run_until_idle(self, max_steps: int = 10_000) -> RunReport:
        """Sweep, then perform due steps until none is left (used by tests, the CLI and bulk runs)."""
        report = RunReport()
        self.run_sweeps()
        for _ in range(max_steps):
            outcome = self.run_one()
            if outcome is None:
                break
            setattr(report, outcome, getattr(report, outcome) + 1)
        return report

    def run_forever(self, sweep_every: float = 30.0) -> None:
        poll = self.deps.settings.worker_poll_seconds
        since_sweep = sweep_every
        while not self._stop.is_set():
            if since_sweep >= sweep_every:
                try:
                    self.run_sweeps()
                except Exception:
                    log.exception("sweep failed")
                since_sweep = 0.0
            try:
                outcome = self.run_one()
            except Exception:
                log.exception("worker loop error")
                outcome = None
            if outcome is None:
                self._stop.wait(poll)
                since_sweep += poll

    def stop(self) -> None:
        self._stop.set()
