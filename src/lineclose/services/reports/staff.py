"""Reports for staff, as rows for CSV: refunds by state and age, debts, closures by channel,
review times against their due dates. Counts and sums only, no personal data; staff bound to an
operator see only theirs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, true
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.db.models_money import Debt
from lineclose.errors import Forbidden, InvalidInput
from lineclose.services.context import Actor

Table = tuple[list[str], list[list[Any]]]
AGE_BUCKETS = ((7, "0-7"), (30, "8-30"), (90, "31-90"))


def _staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise Forbidden("staff only", code="staff_only")


def _scope(actor: Actor) -> ColumnElement[bool]:
    if actor.operator_id is not None:
        return models.ClosureRequest.operator_id == actor.operator_id
    return true()


def refunds_by_state_and_age(session: Session, actor: Actor, now: datetime) -> Table:
    _staff(actor)
    created = models.RefundInstruction.created_at
    age = case(
        *((created >= now - timedelta(days=days), label) for days, label in AGE_BUCKETS),
        else_="90+",
    )
    query = (
        select(
            models.RefundInstruction.status,
            models.RefundInstruction.currency,
            age.label("age"),
            func.count(),
            func.sum(models.RefundInstruction.amount_minor),
        )
        .join(
            models.ClosureRequest, models.ClosureRequest.id == models.RefundInstruction.request_id
        )
        .group_by(models.RefundInstruction.status, models.RefundInstruction.currency, age)
        .order_by(models.RefundInstruction.status, models.RefundInstruction.currency, age)
        .where(_scope(actor))
    )
    rows = [list(row) for row in session.execute(query).all()]
    return ["status", "currency", "age_days", "count", "amount_minor"], rows


def debts(session: Session, actor: Actor) -> Table:
    _staff(actor)
    query = (
        select(
            Debt.status,
            Debt.currency,
            func.count(),
            func.sum(Debt.amount_minor),
            func.sum(Debt.paid_minor),
        )
        .join(models.ClosureRequest, models.ClosureRequest.id == Debt.request_id)
        .group_by(Debt.status, Debt.currency)
        .order_by(Debt.status, Debt.currency)
        .where(_scope(actor))
    )
    rows = [list(row) for row in session.execute(query).all()]
    return ["status", "currency", "count", "amount_minor", "paid_minor"], rows


def closures_by_channel(session: Session, actor: Actor) -> Table:
    _staff(actor)
    query = (
        select(models.ClosureRequest.channel, models.ClosureRequest.status, func.count())
        .group_by(models.ClosureRequest.channel, models.ClosureRequest.status)
        .order_by(models.ClosureRequest.channel, models.ClosureRequest.status)
        .where(_scope(actor))
    )
    rows = [list(row) for row in session.execute(query).all()]
    return ["channel", "status", "count"], rows


def review_times(session: Session, actor: Actor, now: datetime) -> Table:
    """Per request with a review due date: when it was decided, and whether on time."""
    _staff(actor)
    decided = (
        select(models.RequestEvent.request_id, func.min(models.RequestEvent.at).label("at"))
        .where(models.RequestEvent.to_state.in_(("approved", "rejected", "scheduled")))
        .group_by(models.RequestEvent.request_id)
        .subquery()
    )
    query = (
        select(
            models.ClosureRequest.reference,
            models.ClosureRequest.channel,
            models.ClosureRequest.submitted_at,
            models.ClosureRequest.review_due_on,
            decided.c.at,
        )
        .outerjoin(decided, decided.c.request_id == models.ClosureRequest.id)
        .where(models.ClosureRequest.review_due_on.is_not(None))
        .order_by(models.ClosureRequest.submitted_at)
        .where(_scope(actor))
    )
    rows = []
    for reference, channel, submitted, due, at in session.execute(query).all():
        if at is None:
            outcome = "open_overdue" if now.date() > due else "open"
            hours = ""
        else:
            outcome = "on_time" if at.date() <= due else "late"
            hours = f"{(at - submitted).total_seconds() / 3600:.1f}"
        rows.append([reference, channel, due.isoformat(), hours, outcome])
    return ["reference", "channel", "review_due_on", "hours_to_decision", "outcome"], rows


REPORTS = ("refunds", "debts", "closures", "reviews")


def staff_report(session: Session, actor: Actor, name: str, now: datetime) -> Table:
    if name == "refunds":
        return refunds_by_state_and_age(session, actor, now)
    if name == "debts":
        return debts(session, actor)
    if name == "closures":
        return closures_by_channel(session, actor)
    if name == "reviews":
        return review_times(session, actor, now)
    raise InvalidInput(
        f"report must be one of {', '.join(REPORTS)}", code="invalid_report", field="report"
    )
