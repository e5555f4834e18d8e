"""The transactional outbox: side effects written with the state change, performed after commit."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Insert, bindparam, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lineclose.db import json_codec
from lineclose.db.among import among
from lineclose.db.bulk_update import json_array, update_each
from lineclose.db.bulk_writes import insert_returning_ids
from lineclose.db.models import OutboxRow
from lineclose.domain.outbox import OutboxStatus


def enqueue(
    session: Session,
    now: datetime,
    step: str,
    key: str,
    payload: dict[str, Any] | None = None,
    request_id: int | None = None,
    available_at: datetime | None = None,
    new_key: bool = False,
) -> OutboxRow:
    """Add a step unless one with the same idempotency key exists (then return that one).
    With `new_key` the caller knows no step can have the key yet (it names a row made in this
    transaction), and none is looked for; the unique key still refuses a duplicate."""
    if not new_key:
        existing = session.execute(
            select(OutboxRow).where(OutboxRow.idempotency_key == key)
        ).scalar_one_or_none()
        if existing is not None:
            return existing
    row = OutboxRow(
        request_id=request_id,
        step=step,
        idempotency_key=key,
        payload=payload or {},
        status=OutboxStatus.PENDING,
        attempts=0,
        available_at=available_at or now,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def enqueue_many(session: Session, now: datetime, rows: list[dict[str, Any]]) -> None:
    """Add many steps with one INSERT .. ON CONFLICT DO NOTHING: a step whose idempotency key
    exists already is left as it is. Each row names `step`, `key`, and may name `payload`,
    `request_id` and `available_at`."""
    if not rows:
        return
    session.execute(_insert_new(session), [_row(now, row) for row in rows])


def enqueue_leased(
    session: Session, now: datetime, worker: str, until: datetime, rows: list[dict[str, Any]]
) -> list[Claimed]:
    """`enqueue_many`, the new rows leased to `worker` until `until` as a claim leases them
    (their first attempt), so it performs them next without claiming them; returns them. A key
    that exists already is left to whoever holds it, and is not returned; one another
    transaction adds meanwhile fails this one (the worker then goes one step at a time)."""
    keys = [row["key"] for row in rows]
    if not rows:
        return []
    existing = set(
        session.execute(
            select(OutboxRow.idempotency_key).where(among(session, OutboxRow.idempotency_key, keys))
        ).scalars()
    )
    new = [row for row in rows if row["key"] not in existing]
    values = [
        {**_row(now, row), "attempts": 1, "locked_by": worker, "locked_until": until} for row in new
    ]
    ids = insert_returning_ids(session, OutboxRow, values)
    return [
        Claimed(row_id, row["step"], row["key"], row.get("payload") or {}, row.get("request_id"), 1)
        for row_id, row in zip(ids, new, strict=True)
    ]


def _row(now: datetime, row: dict[str, Any]) -> dict[str, Any]:
    """The columns of a new pending step (`enqueue_many`'s row)."""
    return {
        "request_id": row.get("request_id"),
        "step": row["step"],
        "idempotency_key": row["key"],
        "payload": row.get("payload") or {},
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "available_at": row.get("available_at") or now,
        "created_at": now,
    }


def _insert_new(session: Session) -> Insert:
    table = OutboxRow.metadata.tables[OutboxRow.__tablename__]
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=["idempotency_key"])
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=["idempotency_key"])


ATTEMPTED_AT = "attempted_at"


@dataclass(frozen=True)
class Claimed:
    """A leased step. `attempted_at` is set when an earlier attempt committed its mark before
    calling a gateway and never learned the outcome: that call may have reached the gateway."""

    id: int
    step: str
    key: str
    payload: dict[str, Any]
    request_id: int | None
    attempts: int
    attempted_at: datetime | None = None


def claim(
    session: Session,
    now: datetime,
    worker: str,
    lease: timedelta,
    exclude: Collection[str] = (),
) -> Claimed | None:
    """Lease one due row (of a step not in `exclude`). PostgreSQL skips rows other workers
    hold; the conditional update makes the lease safe on SQLite too, where a second claimer
    finds the row taken."""
    candidate = session.execute(
        select(OutboxRow.id)
        .where(
            OutboxRow.status == OutboxStatus.PENDING,
            OutboxRow.available_at <= now,
            or_(OutboxRow.locked_until.is_(None), OutboxRow.locked_until < now),
            *([OutboxRow.step.not_in(list(exclude))] if exclude else []),
        )
        .order_by(OutboxRow.available_at, OutboxRow.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).scalar_one_or_none()
    if candidate is None:
        return None
    taken = session.execute(
        update(OutboxRow)
        .where(
            OutboxRow.id == candidate,
            OutboxRow.status == OutboxStatus.PENDING,
            or_(OutboxRow.locked_until.is_(None), OutboxRow.locked_until < now),
        )
        .values(locked_until=now + lease, locked_by=worker, attempts=OutboxRow.attempts + 1)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    row = session.get(OutboxRow, candidate)
    assert row is not None
    session.refresh(row)
    mark = (row.result or {}).get(ATTEMPTED_AT)
    return Claimed(
        row.id,
        row.step,
        row.idempotency_key,
        dict(row.payload),
        row.request_id,
        row.attempts,
        datetime.fromisoformat(mark) if mark else None,
    )


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** max(attempts - 1, 0), 600))


def claim_many(
    session: Session,
    now: datetime,
    worker: str,
    lease: timedelta,
    steps: Collection[str],
    limit: int,
) -> list[Claimed]:
    """Lease up to `limit` due rows of these steps at once: the due rows chosen (FOR UPDATE SKIP
    LOCKED), then one UPDATE .. WHERE id = ANY(chosen) .. RETURNING, not statements per row.

    The ids are chosen by a statement of their own: as a subquery of the UPDATE, PostgreSQL may
    run the locking SELECT again for each row it updates, skip the rows this same UPDATE just
    changed, and so lease every due row, whatever `limit` says. As `claim`: PostgreSQL skips
    rows other workers hold, and the conditional update keeps a row another claimer took on
    SQLite out of this batch. `result` comes back as it stood, so an earlier attempt's mark is
    seen."""
    due = (
        OutboxRow.status == "pending",
        OutboxRow.available_at <= now,
        or_(OutboxRow.locked_until.is_(None), OutboxRow.locked_until < now),
    )
    chosen = list(
        session.execute(
            select(OutboxRow.id)
            .where(*due, OutboxRow.step.in_(list(steps)))
            .order_by(OutboxRow.available_at, OutboxRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    if not chosen:
        return []
    rows = session.execute(
        update(OutboxRow)
        .where(among(session, OutboxRow.id, chosen), *due)
        .values(locked_until=now + lease, locked_by=worker, attempts=OutboxRow.attempts + 1)
        .returning(
            OutboxRow.id,
            OutboxRow.step,
            OutboxRow.idempotency_key,
            OutboxRow.payload,
            OutboxRow.request_id,
            OutboxRow.attempts,
            OutboxRow.result,
            OutboxRow.available_at,
        )
        .execution_options(synchronize_session=False)
    ).all()
    claimed = []
    for row_id, step, key, payload, request_id, attempts, result, _ in sorted(
        rows, key=lambda row: (row[7], row[0])
    ):
        mark = (result or {}).get(ATTEMPTED_AT)
        claimed.append(
            Claimed(
                row_id,
                step,
                key,
                dict(payload),
                request_id,
                attempts,
                datetime.fromisoformat(mark) if mark else None,
            )
        )
    return claimed


def mark_attempts(session: Session, now: datetime, claimed: list[Claimed]) -> None:
    """Record, before their gateway calls, that these attempts are about to make them: one
    statement for a batch, in the transaction that claimed the rows (so they are still ours)."""
    table = OutboxRow.metadata.tables[OutboxRow.__tablename__]
    update_each(
        session,
        table,
        [
            {"id": c.id, "result": {ATTEMPTED_AT: now.isoformat(), "attempt": c.attempts}}
            for c in claimed
        ],
    )


# `record_and_mark` on PostgreSQL, built once: a notice chunk runs it every few milliseconds.
_RECORD_AND_MARK = text(
    "UPDATE outbox SET "
    "result = CASE u.kind WHEN 'keep' THEN outbox.result ELSE u.result END, "
    "status = CASE u.kind WHEN 'done' THEN :done ELSE outbox.status END, "
    "done_at = CASE u.kind WHEN 'done' THEN :now ELSE outbox.done_at END, "
    "locked_until = CASE u.kind WHEN 'done' THEN NULL ELSE outbox.locked_until END, "
    "last_error = CASE u.kind WHEN 'done' THEN NULL ELSE outbox.last_error END "
    "FROM unnest(CAST(:ids AS INTEGER[]), CAST(:kinds AS TEXT[]), "
    f"{json_array('results')}) AS u(id, kind, result) "
    "WHERE outbox.id = u.id AND outbox.status = :pending AND outbox.locked_by = :worker "
    "RETURNING outbox.id, u.kind"
).bindparams(bindparam("now", type_=OutboxRow.__table__.c.done_at.type))


def record_and_mark(
    session: Session,
    now: datetime,
    worker: str,
    done: list[tuple[int, dict[str, Any]]],
    marks: list[Claimed],
    keep: list[int],
) -> tuple[set[int], set[int]]:
    """For a chunk of notices: the sent ones (`done`, with their results) marked done, and the
    attempt marks of the next ones (`marks`; `keep` have an earlier attempt's mark) written,
    each only while still leased to `worker`. Returns the ids marked done and the ids of the
    next chunk still ours. PostgreSQL: one UPDATE .. FROM unnest, which locks what it writes."""
    table = OutboxRow.metadata.tables[OutboxRow.__tablename__]
    marked = [(c.id, {ATTEMPTED_AT: now.isoformat(), "attempt": c.attempts}) for c in marks]
    if session.get_bind().dialect.name != "postgresql":
        ids = [i for i, _ in done] + [i for i, _ in marked] + keep
        owned = set(
            session.execute(
                select(OutboxRow.id).where(
                    among(session, OutboxRow.id, ids),
                    OutboxRow.status == OutboxStatus.PENDING,
                    OutboxRow.locked_by == worker,
                )
            ).scalars()
        )
        update_each(
            session,
            table,
            [{"id": i, "result": r} for i, r in done if i in owned],
            status=OutboxStatus.DONE,
            done_at=now,
            locked_until=None,
            last_error=None,
        )
        update_each(session, table, [{"id": i, "result": r} for i, r in marked if i in owned])
        return {i for i, _ in done} & owned, owned - {i for i, _ in done}
    rows: list[tuple[int, str, dict[str, Any] | None]] = [(i, "done", r) for i, r in done]
    rows += [(i, "mark", r) for i, r in marked]
    rows += [(i, "keep", None) for i in keep]
    if not rows:
        return set(), set()
    written = session.execute(
        _RECORD_AND_MARK,
        {
            "ids": [i for i, _, _ in rows],
            "kinds": [kind for _, kind, _ in rows],
            "results": json_codec.dumps([r for _, _, r in rows]),
            "now": now,
            "done": OutboxStatus.DONE.value,
            "pending": OutboxStatus.PENDING.value,
            "worker": worker,
        },
    ).all()
    return {i for i, kind in written if kind == "done"}, {
        i for i, kind in written if kind != "done"
    }
