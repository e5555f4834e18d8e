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
import time
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload, sessionmaker

from lineclose.db.models import ClosureRequest, Line, OutboxRow
from lineclose.db.outbox import ATTEMPTED_AT, Claimed, backoff, claim, claim_many
from lineclose.domain.outbox import OutboxStatus
from lineclose.ports.errors import Misconfigured, Rejected, Retryable, Unconfirmed
from lineclose.services import sweeps
from lineclose.services.context import Deps
from lineclose.services.execution import STEPS, OutcomeUnknown
from lineclose.services.tmf622 import hub as tmf_hub
from lineclose.services.webhooks.delivery import WEBHOOK_STEPS
from lineclose.worker.tmf_delivery import TMF_STEPS

log = logging.getLogger("lineclose.worker")
STEPS.update(WEBHOOK_STEPS)


class RunOutcome(StrEnum):
    """What one turn of the worker did. `LEASE_LOST` is not idleness: another worker took the
    step after this one's lease ran out, and other steps may well be due."""

    DONE = "done"
    RETRIED = "retried"
    DEAD = "dead"
    LEASE_LOST = "lease_lost"
    IDLE = "idle"


# A batch holds its transaction (on SQLite the database's one write lock, which API requests
# and delivery reports wait for) at most about this long, then commits and claims again.
BATCH_SECONDS = 0.25

# Steps that only change the database: their effects and their done marks can share one
# transaction, so a worker performs a batch of them per commit.
DATABASE_ONLY = frozenset(
    name for name, step in STEPS.items() if step.call is None and step.resolve is None
)


@dataclass
class RunReport:
    done: int = 0
    retried: int = 0
    dead: int = 0
    lease_lost: int = 0


class Worker:
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

    def _claim(self) -> Claimed | None:
        with self.sessions.begin() as session:
            return claim(session, self.deps.clock.now(), self.name, self._lease())

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

    def run_one(self) -> RunOutcome:
        """Perform one due step and say what became of it; `IDLE` when nothing is due."""
        claimed = self._claim()
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
        except OutcomeUnknown as exc:
            log.warning("step %s %s is uncertain: %s", claimed.step, claimed.key, exc)
            return self._fail(claimed, str(exc), final=True, marked=marked)
        except Unconfirmed as exc:
            # The gateway may have acted: the mark stays, so the next attempt asks, not resends.
            log.warning("step %s %s unconfirmed: %s", claimed.step, claimed.key, exc)
            return self._fail(claimed, str(exc), final=False, marked=marked)
        except Retryable as exc:
            # The gateway answered or was never reached, so it did not act: resending is safe.
            log.warning("step %s %s will be retried: %s", claimed.step, claimed.key, exc)
            clear = marked and calls_gateway
            return self._fail(claimed, str(exc), final=False, marked=marked, clear_mark=clear)
        except (Rejected, Misconfigured) as exc:
            log.error("step %s %s refused: %s", claimed.step, claimed.key, exc)
            clear = marked and calls_gateway
            return self._fail(claimed, str(exc), final=True, marked=marked, clear_mark=clear)
        except Exception as exc:
            # Unknown failures are retried; the error class, not its text, avoids leaking data.
            # A mark stays: the failure may have come after the gateway took the message.
            log.exception("step %s %s failed", claimed.step, claimed.key)
            error = f"unexpected {type(exc).__name__}"
            return self._fail(claimed, error, final=False, marked=marked)
        log.info("step %s %s done", claimed.step, claimed.key)
        return RunOutcome.DONE

    def run_sweeps(self) -> sweeps.SweepReport:
        with self.sessions.begin() as session:
            report = sweeps.run_all(session, self.deps)
            tmf_hub.sweep(session, self.deps)
            return report

    def run_batch(self) -> RunReport:
        """Claim up to `worker_batch` due database-only steps and perform them all in one
        transaction with their done marks. Should any step fail, that transaction rolls back
        whole and the batch is performed one step per transaction, so a failing step is
        retried alone and the others still commit: exactly once, as one by one."""
        report = RunReport()
        with self.sessions.begin() as session:
            batch = claim_many(
                session,
                self.deps.clock.now(),
                self.name,
                self._lease(),
                DATABASE_ONLY,
                max(
                    1, min(self.deps.settings.worker_batch, int(BATCH_SECONDS / self._step_seconds))
                ),
            )
        if not batch:
            return report
        began = time.monotonic()
        try:
            with self.sessions.begin() as session:
                report.done = self._perform_together(session, batch)
            if report.done:
                took = (time.monotonic() - began) / report.done
                self._step_seconds = 0.5 * self._step_seconds + 0.5 * took
        except Exception:
            log.warning("a step in a batch of %d failed: one by one instead", len(batch))
            for claimed in batch:
                outcome = self._perform_alone(claimed)
                setattr(report, outcome.value, getattr(report, outcome.value) + 1)
        log.info("batch of %d steps: %d done", len(batch), report.done)
        return report

    def _owned(self, session: Session, ids: list[int]) -> set[int]:
        """Lock the claimed rows and keep those still ours (a lease may have run out)."""
        return set(
            session.execute(
                select(OutboxRow.id)
                .where(
                    OutboxRow.id.in_(ids),
                    OutboxRow.status == OutboxStatus.PENDING,
                    OutboxRow.locked_by == self.name,
                )
                .with_for_update()
            ).scalars()
        )

    def _mark_done(self, session: Session, results: list[tuple[int, dict[str, Any]]]) -> None:
        now = self.deps.clock.now()
        if results:
            session.execute(
                update(OutboxRow),
                [
                    {
                        "id": row_id,
                        "result": result,
                        "status": OutboxStatus.DONE,
                        "done_at": now,
                        "locked_until": None,
                        "last_error": None,
                    }
                    for row_id, result in results
                ],
            )

    def _perform_together(self, session: Session, batch: list[Claimed]) -> int:
        """Perform the claimed steps in order for at most `BATCH_SECONDS`, then hand the rest
        back: the transaction (and on SQLite the one write lock) is never held for long."""
        owned = self._owned(session, [c.id for c in batch])
        loaded = self._preload_requests(session, batch)
        deadline = time.monotonic() + BATCH_SECONDS
        results: list[tuple[int, dict[str, Any]]] = []
        handed_back: list[int] = []
        for claimed in batch:
            if claimed.id not in owned:
                continue
            if results and time.monotonic() > deadline:
                handed_back.append(claimed.id)
                continue
            results.append(
                (claimed.id, STEPS[claimed.step].record(session, self.deps, claimed, {}))
            )
        self._mark_done(session, results)
        if handed_back:
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_(handed_back), OutboxRow.locked_by == self.name)
                .values(locked_until=None, locked_by=None, attempts=OutboxRow.attempts - 1)
            )
        del loaded
        return len(results)

    def _perform_alone(self, claimed: Claimed) -> RunOutcome:
        try:
            with self.sessions.begin() as session:
                if not self._owned(session, [claimed.id]):
                    return RunOutcome.LEASE_LOST  # another worker took the step
                result = STEPS[claimed.step].record(session, self.deps, claimed, {})
                self._mark_done(session, [(claimed.id, result)])
        except (Retryable, Rejected, Misconfigured) as exc:
            log.warning("step %s %s failed: %s", claimed.step, claimed.key, exc)
            final = isinstance(exc, (Rejected, Misconfigured))
            return self._fail(claimed, str(exc), final=final)
        except Exception as exc:
            # The error class, not its text, avoids leaking data.
            log.exception("step %s %s failed", claimed.step, claimed.key)
            return self._fail(claimed, f"unexpected {type(exc).__name__}", final=False)
        return RunOutcome.DONE

    @staticmethod
    def _preload_requests(session: Session, batch: list[Claimed]) -> list[ClosureRequest]:
        """One query loads every request of the batch with its line, operator and subscriber,
        so the steps find them in the session instead of loading each on its own (the caller
        keeps the list: the session holds its objects only while they are referenced)."""
        ids = {c.request_id for c in batch if c.request_id is not None}
        if not ids:
            return []
        return list(
            session.execute(
                select(ClosureRequest)
                .where(ClosureRequest.id.in_(ids))
                .options(
                    joinedload(ClosureRequest.line).joinedload(Line.operator),
                    joinedload(ClosureRequest.line).joinedload(Line.subscriber),
                )
            )
            .unique()
            .scalars()
        )

    def run_until_idle(self, max_steps: int | None = None) -> RunReport:
        """Sweep, then perform due steps until none is left (the CLI's --once, tests, bulk
        runs); `max_steps` bounds a run only when given."""
        report = RunReport()
        self.run_sweeps()
        total = 0
        while not self._stop.is_set() and (max_steps is None or total < max_steps):
            batch = self.run_batch()
            outcome = self.run_one()
            for name in ("done", "retried", "dead"):
                setattr(report, name, getattr(report, name) + getattr(batch, name))
            if outcome is not RunOutcome.IDLE:
                setattr(report, outcome.value, getattr(report, outcome.value) + 1)
            step_count = batch.done + batch.retried + batch.dead + (outcome is not RunOutcome.IDLE)
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
                batch = self.run_batch()
                performed = batch.done + batch.retried + batch.dead
                performed += self.run_one() is not RunOutcome.IDLE
            except Exception:
                log.exception("worker loop error")
            if performed == 0:
                self._stop.wait(poll)
                since_sweep += poll

    def stop(self) -> None:
        self._stop.set()
