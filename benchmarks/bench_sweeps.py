"""The worker's sweeps over a small and a large history of closed requests, with the same
work due in both: their cost must follow what is due, not what is kept."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from common import Figure, line_row, migrated_app, scratch_database
from sqlalchemy import ColumnElement, case, func, insert, literal, select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.services import sweeps
from lineclose.services.provisioning import add_operator

DUE = 100  # aging numbers to release and reviews to escalate, in both runs


def _seed(url: str, history: int) -> float:
    """`history` closed requests on closed lines of erased subscribers, plus the work due;
    returns the seconds one sweep of everything takes."""
    app = migrated_app(url)
    now = datetime.now(UTC)
    long_ago = now - timedelta(days=4_000)
    with app.sessions.begin() as session:
        operator = add_operator(session, app.deps, "sweep", "Sweep Mobile", "cn")
        operator_id = operator.id
    with app.sessions.begin() as session:
        _history(session, operator_id, history, long_ago)
    numbers = range(history + 1, history + DUE + 1)
    with app.sessions.begin() as session:
        subscriber_ids = (
            session.execute(
                insert(models.Subscriber).returning(models.Subscriber.id),
                [
                    {"operator_id": operator_id, "kind": "personal", "created_at": long_ago}
                    for _ in numbers
                ],
            )
            .scalars()
            .all()
        )
        line_ids = (
            session.execute(
                insert(models.Line).returning(models.Line.id),
                [
                    line_row(
                        operator_id,
                        subscriber_id,
                        n,
                        status="closed",
                        closed_at=now - timedelta(days=100),
                    )
                    for subscriber_id, n in zip(subscriber_ids, numbers, strict=True)
                ],
            )
            .scalars()
            .all()
        )
        session.execute(
            insert(models.ClosureRequest),
            [
                {
                    **_request(operator_id, long_ago),
                    "reference": f"LC-H-{n:09d}",
                    "line_id": line_id,
                    "status": "under_review",
                }
                for line_id, n in zip(line_ids, numbers, strict=True)
            ],
        )
        session.execute(
            insert(models.Number),
            [
                {
                    "msisdn": f"+86139{n:08d}",
                    "operator_id": operator_id,
                    "state": "aging",
                    "aging_until": now.date() - timedelta(days=1),
                    "last_disconnected_on": long_ago.date(),
                    "updated_at": long_ago,
                }
                for n in numbers
            ],
        )
    # The best of three sweeps, each rolled back so the next finds the same work due: one
    # sweep takes well under a second, so a single one measures the machine's other load.
    timings = []
    for _ in range(3):
        with app.sessions() as session:
            started = time.perf_counter()
            report = sweeps.run_all(session, app.deps)
            session.flush()
            timings.append(time.perf_counter() - started)
            assert report.released == DUE and report.escalated == DUE, report
            session.rollback()
    seconds = min(timings)
    app.engine.dispose()
    return seconds


def _request(operator_id: int, at: datetime) -> dict[str, Any]:
    return {
        "operator_id": operator_id,
        "channel": "store",
        "submitted_by": "bench",
        "payload_digest": "0" * 64,
        "submitted_at": at,
        "review_due_on": date(2015, 1, 1),
        "created_at": at,
        "updated_at": at,
        "version": 1,
    }


def _history(session: Session, operator_id: int, history: int, at: datetime) -> None:
    """`history` erased subscribers, their closed lines, closed requests and released numbers,
    generated inside the database (`INSERT .. SELECT` over a counter), so ten million rows
    take minutes rather than an hour of Python. Row n has id n in each table (empty tables)."""
    seq = select(literal(1).label("n")).cte("seq", recursive=True)
    seq = seq.union_all(select(seq.c.n + 1).where(seq.c.n < history))
    n = seq.c.n

    def fill(model: Any, values: dict[str, Any]) -> None:
        columns = model.__table__.c
        row = [
            value if isinstance(value, ColumnElement) else literal(value, columns[name].type)
            for name, value in values.items()
        ]
        session.execute(insert(model).from_select(list(values), select(*row)))

    def digits(width: int) -> Any:
        return func.printf(f"%0{width}d", n)

    payment = case((n % 3 == 0, "prepaid"), else_="postpaid")
    fill(
        models.Subscriber,
        {
            "id": n,
            "operator_id": operator_id,
            "kind": "personal",
            "created_at": at,
            "erased_at": at,
        },
    )
    line = line_row(operator_id, 0, 0, status="closed", closed_at=at)
    # The ICCID's last digit is a constant, not a Luhn check digit: sweeps never read it.
    numbered = {
        "id": n,
        "subscriber_id": n,
        "msisdn": "+86139" + digits(8),
        "iccid": "898600" + digits(12) + "0",
        "imsi": "46001" + digits(10),
        "payment": payment,
        "billing_day": 1 + n % 28,
        "paid_credit_minor": n % 10_000,
        "unbilled_usage_minor": n % 700,
    }
    fill(models.Line, {**line, **numbered})
    fill(
        models.ClosureRequest,
        {
            **_request(operator_id, at),
            "id": n,
            "reference": "LC-H-" + digits(9),
            "line_id": n,
            "status": "closed",
            "closed_at": at,
            "accept_etf": False,
            "acknowledged_bindings": [],
            "identity_methods": [],
            "blockers": [],
        },
    )
    fill(
        models.Number,
        {
            "msisdn": "+86139" + digits(8),
            "operator_id": operator_id,
            "state": "available",
            "aging_until": date(2015, 1, 1),
            "last_disconnected_on": at.date(),
            "updated_at": at,
        },
    )


def run(folder: Path, small: int, large: int) -> dict[str, Figure]:
    with scratch_database("sqlite", folder, "sweep-small") as url:
        small_seconds = _seed(url, small)
    with scratch_database("sqlite", folder, "sweep-large") as url:
        large_seconds = _seed(url, large)
    return {
        f"sweep, {large:,} vs {small:,} closed requests, sqlite (s)": Figure(
            large_seconds,
            small_seconds,
            2.0,
            note=f"{DUE} numbers released and {DUE} reviews escalated in each run",
        )
    }
