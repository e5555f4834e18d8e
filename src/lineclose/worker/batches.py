"""Claiming and performing outbox steps in batches.

One transaction claims a batch of due closure steps (and, separately, up to `NOTICE_BATCH`
notices); the batch is then performed one kind of step at a time:

- database-only steps (begin execution, settle, finalize) by their set-based handlers in one
  transaction with their done marks; should the transaction fail, the kind's steps are
  performed one per transaction, so a failing step is retried alone and the others commit;
- HLR steps with one `bar_many` exchange for the batch (purges one call each), then every
  barred line recorded in one transaction; a line the HLR refused fails alone;
- a request's steps follow one another within the batch: the bars that begin execution
  enqueues are leased to this worker as they are written (barred in this batch, not claimed
  by the next), and settle and finalize are performed in the transaction that records the
  bars (`FUSED`): no rows of their own, their results kept in the bar's row, which that
  transaction marks done. Should it fail, the bars are recorded alone, settle enqueued as a
  step of its own for the next batch; then one at a time;
- notices one gateway call each, `NOTICE_CHUNK` at a time: the chunk's attempt marks commit
  before any of them is sent (a crash mid-chunk leaves marked steps that are resolved, never
  resent), then the chunk is recorded done together.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from lineclose.db.among import among
from lineclose.db.bulk_update import update_each
from lineclose.db.models import OutboxRow
from lineclose.db.outbox import (
    Claimed,
    claim_many,
    enqueue_leased,
    enqueue_many,
    mark_attempts,
    record_and_mark,
)
from lineclose.domain.outbox import OutboxStatus, Step
from lineclose.services.context import Deps
from lineclose.services.execution import STEPS, record_nothing
from lineclose.services.execution_merge import merging
from lineclose.services.execution_sets import BATCH_RECORD
from lineclose.worker import hlr_calls
from lineclose.worker.outcomes import RunOutcome, RunReport

log = logging.getLogger("lineclose.worker")
OUTBOX = OutboxRow.metadata.tables[OutboxRow.__tablename__]

# A batch holds its transaction (on SQLite the database's one write lock, which API requests
# and delivery reports wait for) about this long at most: a worker claims what it performed
# in that time last.
BATCH_SECONDS = 0.25
# Notices claimed per batch. A worker that dies mid-batch leaves at most a chunk of marked
# notices for delivery reports or staff to settle; the rest of its batch, unmarked, is taken
# over when the lease runs out (renewed as the batch goes on). Every card of a fleet has its own
# notice: claiming 50 at a time spent about a tenth of its execution on claims.
NOTICE_BATCH = 200
# Notices whose marks commit together before any of them is sent: a worker that dies mid-chunk
# leaves at most this many to be settled from the gateway's evidence (never sent again). At 10,
# a fleet's execution spent a sixth of its time committing chunks.
NOTICE_CHUNK = 25

DATABASE_ONLY = frozenset(
    name for name, step in STEPS.items() if step.call is None and step.resolve is None
)
HLR_STEPS = frozenset({Step.BAR_LINE, Step.BAR_PORTED_LINE, Step.PURGE_HLR})
NOTICE_STEPS = frozenset(name for name, step in STEPS.items() if step.resolve is not None)
BATCHED = DATABASE_ONLY | HLR_STEPS | NOTICE_STEPS
# The order a batch's kinds are performed in: a card's steps follow one another.
ORDER: list[str] = [Step.BEGIN_EXECUTION, Step.BAR_LINE, Step.SETTLE, Step.FINALIZE]
# A step performed in the transaction that records the step before it: no row, commit, claim
# or done mark of its own, since it needs no outside call between them; its result is kept in
# the row of the step that began the transaction.
FUSED: dict[str, str] = {Step.BAR_LINE: Step.SETTLE, Step.SETTLE: Step.FINALIZE}
# Steps whose next steps this worker leases as it enqueues them, to perform in the same batch.
LEASES_NEXT = frozenset({Step.BEGIN_EXECUTION})


class BatchSteps:
    """The batch half of the worker (`dispatcher.Worker`)."""

    sessions: sessionmaker[Session]
    deps: Deps
    name: str
    _step_seconds: float
    _fail: Callable[..., RunOutcome]
    _failed: Callable[[Claimed, Exception, bool, bool], RunOutcome]
    _lease: Callable[[], timedelta]

    def run_batch(self) -> RunReport:
        """Claim due steps in one transaction and perform them by kind (module docstring)."""
        report = RunReport()
        now = self.deps.clock.now()
        # SQLite's one write lock is the whole database's: the API waits behind a batch. On
        # PostgreSQL a batch is bounded by its lease, so it ends long before the lease does.
        budget = BATCH_SECONDS
        if self.sessions.kw["bind"].dialect.name != "sqlite":
            budget = self._lease().total_seconds() / 4
        limit = max(1, min(self.deps.settings.worker_batch, int(budget / self._step_seconds)))
        with self.sessions.begin() as session:
            batch = claim_many(
                session, now, self.name, self._lease(), DATABASE_ONLY | HLR_STEPS, limit
            )
            notices = claim_many(session, now, self.name, self._lease(), NOTICE_STEPS, NOTICE_BATCH)
        if not batch and not notices:
            return report
        began = time.monotonic()
        kinds: dict[str, list[Claimed]] = {}
        for claimed in batch:
            kinds.setdefault(claimed.step, []).append(claimed)
        for step in [*ORDER, *sorted(set(kinds) - set(ORDER))]:
            group = kinds.get(step)
            if not group:
                continue
            if step in DATABASE_ONLY:
                leased = self._database_kind(group, report)
            else:
                leased = self._hlr_kind(step, group, report)
            for claimed in leased:  # the next steps, in the batch's order of kinds
                kinds.setdefault(claimed.step, []).append(claimed)
        if batch:
            took = (time.monotonic() - began) / len(batch)
            self._step_seconds = 0.5 * self._step_seconds + 0.5 * max(took, 1e-5)
        if notices:
            self._notices(notices, report, now + self._lease())
        log.info("batch of %d steps: %d done", len(batch) + len(notices), report.done)
        return report

    def _owned(self, session: Session, ids: list[int]) -> set[int]:
        """Lock the claimed rows and keep those still ours (a lease may have run out)."""
        return set(
            session.execute(
                select(OutboxRow.id)
                .where(
                    among(session, OutboxRow.id, ids),
                    OutboxRow.status == OutboxStatus.PENDING,
                    OutboxRow.locked_by == self.name,
                )
                .with_for_update()
            ).scalars()
        )

    def _mark_done(self, session: Session, results: list[tuple[int, dict[str, Any]]]) -> None:
        update_each(
            session,
            OUTBOX,
            [{"id": row_id, "result": result} for row_id, result in results],
            status=OutboxStatus.DONE,
            done_at=self.deps.clock.now(),
            locked_until=None,
            last_error=None,
        )

    def _record_together(
        self, step: str, done: list[tuple[Claimed, dict[str, Any]]], report: RunReport
    ) -> list[Claimed]:
        """Record the steps' outcomes and mark them done in one transaction, with the steps
        `FUSED` to them; should it fail, without those, then one transaction per step, so the
        failing one is retried alone. Returns the next steps leased to this worker."""
        if not done:
            return []
        for fuse in (True, False) if step in FUSED else (False,):
            try:
                with self.sessions.begin() as session:
                    recorded, followed, leased = self._record_in(session, step, done, fuse)
            except Exception as exc:  # its kind only: a statement's error quotes its values
                kind = type(exc).__name__
                log.warning(
                    "a batch of %d %s steps failed (fused %s): %s", len(done), step, fuse, kind
                )
                continue
            report.done += recorded + followed
            report.lease_lost += len(done) - recorded
            return leased
        self._one_by_one(step, done, report)
        return []

    def _record_in(
        self,
        session: Session,
        step: str,
        done: list[tuple[Claimed, dict[str, Any]]],
        fuse: bool = False,
    ) -> tuple[int, int, list[Claimed]]:
        """Record the outcomes of the steps still ours in `session`, then enqueue their next
        steps (performed here when `fuse`); returns how many were recorded, how many next
        steps performed, and those leased to this worker."""
        owned = self._owned(session, [c.id for c, _ in done])
        mine = [(c, outcome) for c, outcome in done if c.id in owned]
        if not mine:
            return 0, 0, []
        handler = BATCH_RECORD.get(step)
        following: list[dict[str, Any]] = []
        if handler is not None:
            results, following = handler(session, self.deps, mine)
        else:
            record = STEPS[step].record
            results = [record(session, self.deps, c, o) for c, o in mine]
        followed, leased, fused = self._follow(session, step, following, fuse)
        pairs = zip(mine, results, strict=True)
        self._mark_done(
            session, [(c.id, {**r, **fused.get(c.request_id or 0, {})}) for (c, _), r in pairs]
        )
        return len(mine), followed, leased

    def _follow(
        self, session: Session, step: str, rows: list[dict[str, Any]], fuse: bool
    ) -> tuple[int, list[Claimed], dict[int, dict[str, Any]]]:
        """Perform the `FUSED` next steps of `step`, then enqueue the rest (leased to this
        worker after `LEASES_NEXT` steps); returns how many steps were performed, the leased
        ones, and by request the results of those performed, named by step."""
        now = self.deps.clock.now()
        performed = 0
        fused: dict[int, dict[str, Any]] = {}
        with merging(session):  # one update of each row the fused steps change
            while fuse and rows and FUSED.get(step) == rows[0]["step"]:
                step = rows[0]["step"]
                claimed = [Claimed(0, step, row["key"], {}, row["request_id"], 1) for row in rows]
                record = BATCH_RECORD[step]
                results, following = record(session, self.deps, [(c, {}) for c in claimed])
                for row, result in zip(rows, results, strict=True):
                    fused.setdefault(row["request_id"], {})[step] = result
                performed += len(rows)
                rows = following
        if step in LEASES_NEXT:
            leased = enqueue_leased(session, now, self.name, now + self._lease(), rows)
            return performed, leased, fused
        enqueue_many(session, now, rows)
        return performed, [], fused

    def _one_by_one(
        self, step: str, done: list[tuple[Claimed, dict[str, Any]]], report: RunReport
    ) -> None:
        log.warning("a %s step of a batch of %d failed: one by one instead", step, len(done))
        for claimed, outcome in done:
            report.add(self._record_alone(claimed, outcome))

    def _record_alone(self, claimed: Claimed, outcome: dict[str, Any]) -> RunOutcome:
        try:
            with self.sessions.begin() as session:
                if not self._owned(session, [claimed.id]):
                    return RunOutcome.LEASE_LOST  # another worker took the step
                result = STEPS[claimed.step].record(session, self.deps, claimed, outcome)
                self._mark_done(session, [(claimed.id, result)])
        except Exception as exc:
            return self._failed(claimed, exc, claimed.step in NOTICE_STEPS, False)
        return RunOutcome.DONE

    def _database_kind(self, group: list[Claimed], report: RunReport) -> list[Claimed]:
        return self._record_together(group[0].step, [(c, {}) for c in group], report)

    def _hlr_kind(self, step: str, group: list[Claimed], report: RunReport) -> list[Claimed]:
        """One HLR exchange for the lines to bar; refused lines fail alone."""
        try:
            if step == Step.PURGE_HLR:
                outcomes = hlr_calls.purges(self.deps.hlr, group)
            else:
                bars = hlr_calls.bars(self.sessions, step, group)
                outcomes = list(self.deps.hlr.bar_many(bars))
        except Exception as exc:
            for claimed in group:
                report.add(self._failed(claimed, exc, False, True))
            return []
        done: list[tuple[Claimed, dict[str, Any]]] = []
        for claimed, error in zip(group, outcomes, strict=True):
            if error is None:
                result = {"purged": True} if step == Step.PURGE_HLR else {"barred": True}
                done.append((claimed, result))
            else:
                log.warning("step %s %s: %s", claimed.step, claimed.key, error)
                report.add(self._failed(claimed, error, False, True))
        return self._record_together(step, done, report)

    def _notices(self, group: list[Claimed], report: RunReport, leased_until: datetime) -> None:
        """Each notice sent once. `NOTICE_CHUNK` at a time: their attempt marks commit first
        (with the lease of every notice still to send renewed once half of it has run out, then
        or between two sends), then each is sent; the chunk is recorded done in the transaction that marks the next
        one (alone should that fail, and then the next chunk's marks commit on their own). A
        step that finds an earlier attempt's mark is resolved from the gateway's evidence,
        never sent again."""
        lease = self._lease()
        sent: dict[str, list[tuple[Claimed, dict[str, Any]]]] = {}
        for start in range(0, len(group), NOTICE_CHUNK):
            chunk = group[start : start + NOTICE_CHUNK]
            renew = leased_until - self.deps.clock.now() < lease / 2
            try:
                with self.sessions.begin() as session:
                    recorded, owned = self._turn_chunk(session, sent, chunk, group[start:], renew)
            except Exception:
                recorded = {}
                for step, done in sent.items():
                    self._record_together(step, done, report)
                with self.sessions.begin() as session:
                    owned = self._mark_chunk(session, chunk, group[start:], renew)
            for step, count in recorded.items():
                report.done += count
                report.lease_lost += len(sent[step]) - count
            if renew:
                leased_until = self.deps.clock.now() + lease
            sent = {}
            for position, claimed in enumerate(chunk, start):
                if claimed.id not in owned:
                    report.lease_lost += 1  # another worker took it over
                    continue
                if leased_until - self.deps.clock.now() < lease / 2:  # a slow gateway
                    with self.sessions.begin() as session:
                        self._renew(session, group[position:], True)
                    leased_until = self.deps.clock.now() + lease
                calls = claimed.attempted_at is None
                try:
                    outcome = self._send(claimed) if calls else self._resolve(claimed)
                except Exception as exc:
                    report.add(self._failed(claimed, exc, True, calls))
                    continue
                sent.setdefault(claimed.step, []).append((claimed, outcome))
        for step, done in sent.items():
            self._record_together(step, done, report)

    def _turn_chunk(
        self,
        session: Session,
        sent: dict[str, list[tuple[Claimed, dict[str, Any]]]],
        chunk: list[Claimed],
        rest: list[Claimed],
        renew: bool,
    ) -> tuple[dict[str, int], set[int]]:
        """The notices sent from the last chunk recorded done and the next chunk's attempt marks
        written, with one statement (`record_and_mark`) when recording them writes nothing
        else; returns how many of each step were recorded and the next chunk's notices still
        ours."""
        if any(STEPS[step].record is not record_nothing for step in sent):
            recorded = {step: self._record_in(session, step, d)[0] for step, d in sent.items()}
            return recorded, self._mark_chunk(session, chunk, rest, renew)
        done_ids, owned = record_and_mark(
            session,
            self.deps.clock.now(),
            self.name,
            [(c.id, outcome) for done in sent.values() for c, outcome in done],
            [c for c in chunk if c.attempted_at is None],
            [c.id for c in chunk if c.attempted_at is not None],
        )
        self._renew(session, rest, renew)
        recorded = {step: sum(c.id in done_ids for c, _ in d) for step, d in sent.items()}
        return recorded, owned

    def _mark_chunk(
        self, session: Session, chunk: list[Claimed], rest: list[Claimed], renew: bool
    ) -> set[int]:
        """The chunk's attempt marks (of the notices still ours, which it returns), and the
        lease of every notice still to send renewed when `renew`."""
        now = self.deps.clock.now()
        owned = self._owned(session, [c.id for c in chunk])
        mark_attempts(session, now, [c for c in chunk if c.id in owned and c.attempted_at is None])
        self._renew(session, rest, renew)
        return owned

    def _renew(self, session: Session, rest: list[Claimed], renew: bool) -> None:
        """The lease of every notice still to send renewed, when `renew`."""
        now = self.deps.clock.now()
        if renew:
            session.execute(
                update(OutboxRow)
                .where(
                    among(session, OutboxRow.id, [c.id for c in rest]),
                    OutboxRow.locked_by == self.name,
                    OutboxRow.status == OutboxStatus.PENDING,
                )
                .values(locked_until=now + self._lease())
            )

    def _send(self, claimed: Claimed) -> dict[str, Any]:
        """The gateway call of a notice whose attempt mark this batch committed."""
        call = STEPS[claimed.step].call
        assert call is not None
        return call(self.deps, claimed, {})

    def _resolve(self, claimed: Claimed) -> dict[str, Any]:
        """A notice an earlier attempt marked: settled from the gateway's evidence, not sent."""
        resolve = STEPS[claimed.step].resolve
        assert resolve is not None
        with self.sessions() as session:
            return resolve(session, self.deps, claimed)
