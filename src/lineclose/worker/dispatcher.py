"""The worker: claims due outbox steps, performs them, and runs the sweeps.

A step's effects and its `done` mark commit together; a failed step is retried with backoff
and, when it keeps failing or is refused outright, becomes a dead letter staff can retry.

Steps whose gateway call must not be repeated (SMS, e-mail: a step with a `resolve`) first
commit an attempt mark in a transaction of their own. A worker that finds the mark of an
earlier, unfinished attempt never calls the gateway again: `resolve` settles the step from the
gateway's evidence (a delivery report) or, lacking any, the step becomes `uncertain`, which
staff look into and may send again (docs/deploy.md, "Exactly-once effects").
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Collection
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from lineclose.db.models import OutboxRow
from lineclose.db.outbox import ATTEMPTED_AT, Claimed, backoff, claim
from lineclose.domain.outbox import OutboxStatus
from lineclose.ports.errors import Misconfigured, Rejected, Retryable, Unconfirmed
from lineclose.services import sweeps
from lineclose.services.context import Deps
from lineclose.services.execution import STEPS, OutcomeUnknown
from lineclose.services.tmf622 import hub as tmf_hub
from lineclose.services.webhooks.delivery import WEBHOOK_STEPS
from lineclose.worker.batches import BATCH_SECONDS, BATCHED, DATABASE_ONLY, BatchSteps
from lineclose.worker.outcomes import RunOutcome, RunReport
from lineclose.worker.tmf_delivery import TMF_STEPS

log = logging.getLogger("lineclose.worker")
STEPS.update(WEBHOOK_STEPS)

__all__ = ["BATCH_SECONDS", "DATABASE_ONLY", "RunOutcome", "RunReport", "Worker"]


class Worker(BatchSteps):
    def __init__(
        self, sessions: sessionmaker[Session], deps: Deps, name: str | None = None
    ) -> None:
        self.sessions = sessions
        self.deps = deps
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        self._stop = threading.Event()
        # Seconds one database-only step takes here, learnt from each batch: a batch claims
        # what it can perform in BATCH_SECONDS, not more only to hand most of it back.
        self._step_seconds = 0.005

    def _lease(self) -> timedelta:
        return timedelta(seconds=self.deps.settings.worker_lease_seconds)

    def _claim(self, exclude: Collection[str] = ()) -> Claimed | None:
        with self.sessions.begin() as session:
            return claim(session, self.deps.clock.now(), self.name, self._lease(), exclude)

    def _mark_attempt(self, claimed: Claimed) -> bool:
        """Commit, before the gateway call, that this attempt is about to make it."""
        now = self.deps.clock.now()
        with self.sessions.begin() as session:
            taken = session.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.id == claimed.id,
                    OutboxRow.locked_by == self.name,
                    OutboxRow.status == OutboxStatus.PENDING,
                )
                .values(result={ATTEMPTED_AT: now.isoformat(), "attempt": claimed.attempts})
            )
            return bool(taken.rowcount == 1)  # type: ignore[attr-defined]

    def _fail(
        self,
        claimed: Claimed,
        error: str,
        final: bool,
        marked: bool = False,
        clear_mark: bool = False,
    ) -> RunOutcome:
        """Retry later or give up. A step given up on while its attempt mark stands becomes
        `uncertain`, not dead: its gateway call may have gone through."""
        now = self.deps.clock.now()
        dead = final or claimed.attempts >= self.deps.settings.worker_max_attempts
        status = OutboxStatus.PENDING
        if dead:
            status = OutboxStatus.UNCERTAIN if marked and not clear_mark else OutboxStatus.DEAD
        values: dict[str, Any] = {
            "status": status,
            "available_at": now + backoff(claimed.attempts),
            "locked_until": None,
            "locked_by": None,
            "last_error": error[:500],
        }
        if clear_mark:
            values["result"] = None
        with self.sessions.begin() as session:
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == claimed.id, OutboxRow.locked_by == self.name)
                .values(**values)
            )
        return RunOutcome.RETRIED if status == OutboxStatus.PENDING else RunOutcome.DEAD

    def _failed(
        self, claimed: Claimed, exc: Exception, marked: bool, calls_gateway: bool
    ) -> RunOutcome:
        """Retry, give up or leave uncertain, by what the failure says of the gateway call."""
        if isinstance(exc, OutcomeUnknown):
            log.warning("step %s %s is uncertain: %s", claimed.step, claimed.key, exc)
            return self._fail(claimed, str(exc), final=True, marked=marked)
        if isinstance(exc, Unconfirmed):
            # The gateway may have acted: the mark stays, so the next attempt asks, not resends.
            log.warning("step %s %s unconfirmed: %s", claimed.step, claimed.key, exc)
            return self._fail(claimed, str(exc), final=False, marked=marked)
        if isinstance(exc, Retryable):
            # The gateway answered or was never reached, so it did not act: resending is safe.
            log.warning("step %s %s will be retried: %s", claimed.step, claimed.key, exc)
            clear = marked and calls_gateway
            return self._fail(claimed, str(exc), final=False, marked=marked, clear_mark=clear)
        if isinstance(exc, (Rejected, Misconfigured)):
            log.error("step %s %s refused: %s", claimed.step, claimed.key, exc)
            clear = marked and calls_gateway
            return self._fail(claimed, str(exc), final=True, marked=marked, clear_mark=clear)
        # Unknown failures are retried; the error class, not its text, avoids leaking data.
        # A mark stays: the failure may have come after the gateway took the message.
        log.error("step %s %s failed", claimed.step, claimed.key, exc_info=exc)
        return self._fail(claimed, f"unexpected {type(exc).__name__}", final=False, marked=marked)

    def run_one(self, exclude: Collection[str] = ()) -> RunOutcome:
        """Perform one due step (of a step not in `exclude`) and say what became of it; `IDLE`
        when nothing is due."""
        claimed = self._claim(exclude)
        if claimed is None:
            return RunOutcome.IDLE
        step = STEPS.get(claimed.step) or TMF_STEPS.get(claimed.step)
        if step is None:
            return self._fail(claimed, f"no handler for step {claimed.step}", final=True)
        marked = step.resolve is not None
        calls_gateway = not (marked and claimed.attempted_at is not None)
        if marked and calls_gateway and not self._mark_attempt(claimed):
            return RunOutcome.LEASE_LOST  # our lease ran out and another worker took the step
        try:
            outcome: dict[str, Any] = {}
            if step.call is not None and calls_gateway:
                assert step.prepare is not None
                with self.sessions() as session:
                    prepared = step.prepare(session, claimed)
                outcome = step.call(self.deps, claimed, prepared)
            elif step.resolve is not None:
                with self.sessions() as session:
                    outcome = step.resolve(session, self.deps, claimed)
            with self.sessions.begin() as session:
                row = session.execute(
                    select(OutboxRow).where(OutboxRow.id == claimed.id).with_for_update()
                ).scalar_one()
                if row.status != OutboxStatus.PENDING or row.locked_by != self.name:
                    return RunOutcome.LEASE_LOST  # another worker took the step meanwhile
                row.result = step.record(session, self.deps, claimed, outcome)
                row.status = OutboxStatus.DONE
                row.done_at = self.deps.clock.now()
                row.locked_until = None
                row.last_error = None
        except Exception as exc:
            return self._failed(claimed, exc, marked, calls_gateway)
        log.info("step %s %s done", claimed.step, claimed.key)
        return RunOutcome.DONE

    def run_sweeps(self) -> sweeps.SweepReport:
        with self.sessions.begin() as session:
            report = sweeps.run_all(session, self.deps)
            tmf_hub.sweep(session, self.deps)
            return report

    def run_until_idle(self, max_steps: int | None = None) -> RunReport:
        """Sweep, then perform due steps until none is left (the CLI's --once, tests, bulk
        runs); `max_steps` bounds a run only when given."""
        report = RunReport()
        self.run_sweeps()
        total = 0
        while not self._stop.is_set() and (max_steps is None or total < max_steps):
            batch = self.run_batch()
            # Steps a batch takes are left to the next batch; the others go one at a time.
            outcome = self.run_one(BATCHED if batch.performed else ())
            for name in ("done", "retried", "dead", "lease_lost"):
                setattr(report, name, getattr(report, name) + getattr(batch, name))
            report.add(outcome)
            step_count = batch.performed + (outcome is not RunOutcome.IDLE)
            if step_count == 0:
                break
            total += step_count
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
            performed = 0
            try:
                performed = self.run_batch().performed
                performed += self.run_one(BATCHED if performed else ()) is not RunOutcome.IDLE
            except Exception:
                log.exception("worker loop error")
            if performed == 0:
                self._stop.wait(poll)
                since_sweep += poll

    def stop(self) -> None:
        self._stop.set()
