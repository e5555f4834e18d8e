"""Bulk import of an operator's files: the use case the CLI command and the benchmark drive.

The caller owns the transactions (one per batch, so a million rows never sit in one) and
the files; this module reads, validates, applies, and writes the rejects file.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.errors import NotFound
from lineclose.services.context import Deps
from lineclose.services.data_in import (
    facts,
    packed,
    records,
    unchanged_rows,
    unchanged_wide_rows,
    wide_records,
)
from lineclose.services.data_in.apply_context import Reject, Shared
from lineclose.services.data_in.fields import ORDER, Context
from lineclose.services.data_in.files import WIDE, Batch, batches, count_rows, file_rank
from lineclose.services.data_in.records import Item
from lineclose.services.data_in.unchanged_rows import Keep, RawRow
from lineclose.services.data_in.upsert import BatchResult, apply_batch
from lineclose.services.data_in.writer import lock_operator
from lineclose.services.lines import local_today, profile_of

BATCH_ROWS = 5_000
# Past two validating processes the writing one is the bottleneck: a validated row costs them
# about what writing it costs this one.
MAX_DEFAULT_WORKERS = 2


def default_workers() -> int:
    """Validating processes when none are asked for: one per core beyond the first (the
    writing process keeps one), at most `MAX_DEFAULT_WORKERS`."""
    return max(0, min(MAX_DEFAULT_WORKERS, len(os.sched_getaffinity(0)) - 1))


REJECT_COLUMNS = ("file", "row", "field", "code", "message")


def operator_by_code(session: Session, code: str) -> models.Operator:
    operator = session.execute(
        select(models.Operator).where(models.Operator.code == code.strip())
    ).scalar_one_or_none()
    if operator is None:
        raise NotFound(f"no operator with code {code!r}", code="unknown_operator")
    return operator


@dataclass(frozen=True)
class Plan:
    """What the import will read, in the order it applies it (subscribers before their lines)."""

    operator_id: int
    operator_code: str
    context: Context
    files: tuple[Path, ...]
    total_rows: int


def plan(session: Session, deps: Deps, operator_code: str, files: list[Path]) -> Plan:
    operator = operator_by_code(session, operator_code)
    profile = profile_of(operator)
    ordered = tuple(sorted(files, key=file_rank))
    return Plan(
        operator.id,
        operator.code,
        Context(profile, local_today(profile, deps.clock.now())),
        ordered,
        sum(count_rows(p) for p in ordered),
    )


def read(
    import_plan: Plan,
    deps: Deps,
    size: int = BATCH_ROWS,
    pool: Executor | None = None,
    keep: Keep | None = None,
) -> Iterator[Batch]:
    """The plan's files as validated batches; with `pool`, validated and digested in its
    processes (`packed`), under the digest key this process derives from the vault."""
    digest_key = records.digest_key(deps.vault) if pool is not None else b""
    for path in import_plan.files:
        if pool is None:
            yield from batches(path, import_plan.context, size, keep)
        else:
            yield from packed.batches_in(pool, path, import_plan.context, size, digest_key, keep)


def unchanged_filter(sessions: Callable[[], Session], deps: Deps, import_plan: Plan) -> Keep:
    """Drops each chunk's rows seen before and unchanged, reading in a session of its own.
    Rows repeated within the import itself are not looked for on an operator's first wide
    file: the full way finds them unchanged all the same."""
    with sessions() as session:
        look_up = unchanged_wide_rows.any_kept(session, import_plan.operator_id)

    def keep(kind: str, chunk: list[RawRow]) -> tuple[list[RawRow], dict[int, str], int]:
        with sessions() as session:
            if kind == WIDE:
                return unchanged_wide_rows.split(
                    session,
                    deps.vault,
                    import_plan.operator_id,
                    import_plan.context,
                    chunk,
                    look_up,
                )
            return unchanged_rows.split(session, deps.vault, import_plan.operator_id, kind, chunk)

    return keep


def apply(
    session: Session, deps: Deps, import_plan: Plan, batch: Batch, actor: str, via: str = "import"
) -> BatchResult:
    """Apply one batch: every kind it holds, in dependency order, then its read-time rejects."""
    operator = session.get(models.Operator, import_plan.operator_id)
    assert operator is not None
    total = BatchResult(rejects=list(batch.rejects))
    shared = Shared(folded=facts.folded(batch.items), wide_file=batch.kind == WIDE)
    lock_operator(session, operator.id)  # before reading what the source last said
    keys = {kind: {i.key for i in items} for kind, items in batch.items.items() if items}
    shared.known, shared.wide = wide_records.load(session, operator.id, keys)
    for kind in ORDER:
        if kind in batch.items:
            items = batch.items[kind]
            total.add(apply_batch(session, deps, operator, kind, items, actor, via, shared))
    every = [i for items in batch.items.values() for i in items]
    rejected = {r.row for r in total.rejects}
    if shared.wide_file:
        by_row: dict[int, list[Item]] = {}
        for item in every:
            by_row.setdefault(item.row, []).append(item)
        wide_records.save_rows(
            session,
            operator.id,
            deps.clock.now(),
            shared.parts,
            shared.wide,
            by_row,
            batch.row_digests,
            rejected,
        )
    elif batch.row_digests:
        unchanged_rows.remember(
            session, operator.id, deps.clock.now(), batch.kind, batch.row_digests, every, rejected
        )
    return total


@dataclass
class Summary:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rows: int = 0
    reevaluated: list[str] = field(default_factory=list)


class RejectsFile:
    """Bad rows with the file, row number, field and what to fix; values are never repeated."""

    def __init__(self, handle: IO[str]) -> None:
        self._writer = csv.writer(handle)
        self._writer.writerow(REJECT_COLUMNS)

    def write(self, file: str, rejects: list[Reject]) -> None:
        for r in sorted(rejects, key=lambda r: r.row):
            self._writer.writerow((file, r.row, r.field, r.code, r.message))


def tally(summary: Summary, batch: Batch, result: BatchResult) -> None:
    """Each row counted once: rejected, else inserted, else updated, else unchanged."""
    rejected = {r.row for r in result.rejects}
    inserted = result.inserted - rejected
    updated = result.updated - rejected - inserted
    summary.rows += batch.rows
    summary.rejected += len(rejected)
    summary.inserted += len(inserted)
    summary.updated += len(updated)
    summary.unchanged += batch.rows - len(rejected) - len(inserted) - len(updated)
    summary.reevaluated.extend(result.reevaluated)
