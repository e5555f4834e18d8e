"""The figures the operations endpoint exports: closures by state, outbox depth, backlog."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from lineclose.db.models import ClosureRequest, OutboxRow
from lineclose.domain.states import RequestState


@dataclass(frozen=True)
class Figures:
    by_state: dict[str, int]
    outbox_by_status: dict[str, int]
    oldest_due_age_seconds: float
    reviews_overdue: int


def operations_figures(session: Session, now: datetime) -> Figures:
    """Aggregates only, no personal data: the endpoint is for the monitoring system."""
    # The review is overdue once its due date has passed everywhere: a day's grace for the
    # operators east of UTC keeps the figure from flapping around midnight.
    overdue_before = (now - timedelta(days=1)).date()
    by_state = {
        status: int(count)
        for status, count in session.execute(
            select(ClosureRequest.status, func.count()).group_by(ClosureRequest.status)
        ).all()
    }
    by_status = {
        status: int(count)
        for status, count in session.execute(
            select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
        ).all()
    }
    oldest_due = session.execute(
        select(func.min(OutboxRow.available_at)).where(
            OutboxRow.status == "pending", OutboxRow.available_at <= now
        )
    ).scalar_one_or_none()
    overdue = session.execute(
        select(func.count()).where(
            ClosureRequest.status == RequestState.UNDER_REVIEW.value,
            ClosureRequest.review_due_on < overdue_before,
        )
    ).scalar_one()
    age = max((now - oldest_due).total_seconds(), 0.0) if oldest_due is not None else 0.0
    return Figures(by_state, by_status, age, int(overdue))


def database_answers(session: Session) -> None:
    """Raise unless the database answers a trivial query (the readiness check)."""
    session.execute(text("SELECT 1"))
