"""The worker's sweeps over a small and a large history of closed requests, with the same
work due in both: their cost must follow what is due, not what is kept."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from common import Figure, line_row, migrated_app, scratch_database
from sqlalchemy import insert, select

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
    chunk = 50_000
    for start in range(1, history + DUE + 1, chunk):
        numbers = range(start, min(start + chunk, history + DUE + 1))
        with app.sessions.begin() as session:
            first_subscriber = (
                session.execute(
                    insert(models.Subscriber).returning(models.Subscriber.id),
                    [
                        {
                            "operator_id": operator_id,
                            "kind": "personal",
                            "created_at": long_ago,
                            "erased_at": long_ago if n <= history else None,
                        }
                        for n in numbers
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
                            closed_at=long_ago if n <= history else now - timedelta(days=100),
                        )
                        for subscriber_id, n in zip(first_subscriber, numbers, strict=True)
                    ],
                )
                .scalars()
                .all()
            )
            session.execute(
                insert(models.ClosureRequest),
                [
                    {
                        "reference": f"LC-H-{n:09d}",
                        "operator_id": operator_id,
                        "line_id": line_id,
                        "status": "closed" if n <= history else "under_review",
                        "channel": "store",
                        "submitted_by": "bench",
                        "payload_digest": "0" * 64,
                        "submitted_at": long_ago,
                        "review_due_on": date(2015, 1, 1),
                        "closed_at": long_ago if n <= history else None,
                        "created_at": long_ago,
                        "updated_at": long_ago,
                        "version": 1,
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
                        "state": "available" if n <= history else "aging",
                        "aging_until": date(2015, 1, 1)
                        if n <= history
                        else now.date() - timedelta(days=1),
                        "last_disconnected_on": long_ago.date(),
                        "updated_at": long_ago,
                    }
                    for n in numbers
                ],
            )
    with app.sessions.begin() as session:
        started = datetime.now(UTC)
        report = sweeps.run_all(session, app.deps)
        seconds = (datetime.now(UTC) - started).total_seconds()
    assert report.released == DUE and report.escalated == DUE, report
    with app.sessions() as session:
        assert session.execute(select(models.Number.state).limit(1)).scalar_one()
    app.engine.dispose()
    return seconds


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
