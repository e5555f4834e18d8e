"""Scheduled work: start due closures, escalate overdue reviews, release aged numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import audit, models, outbox
from lineclose.domain.aging import NumberState
from lineclose.domain.facts import LineStatus
from lineclose.domain.identifiers import mask_msisdn
from lineclose.domain.outbox import Step
from lineclose.domain.states import RequestState
from lineclose.services import channel_sweeps, ratelimits, retention
from lineclose.services.closure.transitions import start_execution
from lineclose.services.context import SYSTEM_ACTOR, Deps
from lineclose.services.escalation_notices import notify_supervisors
from lineclose.services.lines import local_today, profile_of


@dataclass(frozen=True)
class SweepReport:
    started: int
    escalated: int
    released: int
    erased: int = 0


def latest_local_day(now: datetime) -> date:
    """No jurisdiction's today is later than this: the SQL predicates select a superset of what
    is due on an index, and each row is then checked on its own profile's day."""
    return now.date() + timedelta(days=1)


def start_due_scheduled(session: Session, deps: Deps) -> int:
    now = deps.clock.now()
    started = 0
    for request in session.execute(
        select(models.ClosureRequest).where(
            models.ClosureRequest.status == RequestState.SCHEDULED.value,
            models.ClosureRequest.scheduled_for <= latest_local_day(now),
        )
    ).scalars():
        today = local_today(profile_of(request.operator), now)
        if request.scheduled_for is not None and request.scheduled_for <= today:
            start_execution(session, deps, request)
            started += 1
    return started


def escalate_overdue(session: Session, deps: Deps) -> int:
    """A review past its due date is escalated once and listed for supervisors."""
    now = deps.clock.now()
    escalated = 0
    for request in session.execute(
        select(models.ClosureRequest).where(
            models.ClosureRequest.status == RequestState.UNDER_REVIEW.value,
            models.ClosureRequest.escalated_at.is_(None),
            models.ClosureRequest.review_due_on < latest_local_day(now),
        )
    ).scalars():
        today = local_today(profile_of(request.operator), now)
        assert request.review_due_on is not None
        if request.review_due_on < today:
            request.escalated_at = now
            audit.append(
                session,
                now,
                SYSTEM_ACTOR.label,
                "request.escalated",
                "closure_request",
                request.reference,
                {"review_due_on": request.review_due_on.isoformat()},
            )
            notify_supervisors(session, deps, request)
            escalated += 1
    return escalated


def release_aged_numbers(session: Session, deps: Deps) -> int:
    """Aged numbers return to the pool, and the barred HLR record is deleted only now."""
    now = deps.clock.now()
    released = 0
    rows = session.execute(
        select(models.Number, models.Operator)
        .join(models.Operator, models.Operator.id == models.Number.operator_id)
        .where(
            models.Number.state == NumberState.AGING.value,
            models.Number.aging_until <= latest_local_day(now),
        )
    ).all()
    for number, operator in rows:
        today = local_today(profile_of(operator), now)
        if number.aging_until is None or number.aging_until > today:
            continue
        number.state = NumberState.AVAILABLE.value
        number.updated_at = now
        line = session.execute(
            select(models.Line)
            .where(models.Line.msisdn == number.msisdn, models.Line.status == LineStatus.CLOSED)
            .order_by(models.Line.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if line is not None:
            outbox.enqueue(
                session,
                now,
                Step.PURGE_HLR,
                f"purge:{line.imsi}:{number.aging_until.isoformat()}",
                {"imsi": line.imsi},
            )
        audit.append(
            session,
            now,
            SYSTEM_ACTOR.label,
            "number.released",
            "number",
            mask_msisdn(number.msisdn),
            {"aging_until": number.aging_until.isoformat()},
        )
        released += 1
    return released


def run_all(session: Session, deps: Deps) -> SweepReport:
    report = SweepReport(
        started=start_due_scheduled(session, deps),
        escalated=escalate_overdue(session, deps),
        released=release_aged_numbers(session, deps),
        erased=len(retention.sweep(session, deps).erased),
    )
    ratelimits.purge_expired(session, deps.clock.now())
    channel_sweeps.run(session, deps)
    return report
