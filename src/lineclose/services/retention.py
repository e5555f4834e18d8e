"""Erasing personal data once the profile's retention period after closure has run out.

Rules: a subscriber's personal data (name, ID number and its lookup hash, e-mail, service
password hash) and the personal data of their closure requests (refund account, alternate
contact, the refund instruction's account) are erased when every line they held is closed and
`retention_days_after_closure` of the profile have passed since the last closure, counted in
the jurisdiction's own days: erased on the boundary day, not one day before. A legal hold on
any of their lines, an open dispute, or a refund not yet paid keeps everything. Masked forms (`110***********1234`)
stay: they are what the certificate and the audit log show. Each erasure leaves an audit entry
naming the fields erased; a dry run lists the same without changing anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.domain.facts import LineStatus
from lineclose.services.context import SYSTEM_ACTOR, Deps
from lineclose.services.lines import local_today, profile_of

DISPUTE = "dispute"
SUBSCRIBER_FIELDS = ("name", "id_number", "email", "service_password")
REQUEST_FIELDS = ("refund_account", "alternate_contact")


@dataclass(frozen=True)
class Erasure:
    subscriber_id: int
    profile: str
    last_closed_on: date
    due_on: date
    fields: tuple[str, ...]
    requests: tuple[str, ...]


@dataclass(frozen=True)
class Kept:
    subscriber_id: int
    reason: str  # legal_hold | open_dispute | refund_unpaid


@dataclass
class RetentionReport:
    dry_run: bool
    erased: list[Erasure] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)


def _candidates(session: Session, now: datetime) -> list[models.Subscriber]:
    """Subscribers not yet erased who hold a line closed long enough ago for the shortest
    retention period in use, and no line still serving. Driven by the index of subscribers
    not erased, so the erased history is never scanned; each is then checked exactly."""
    shortest = min(
        (
            profile_of(operator).retention_days_after_closure.value
            for operator in session.execute(select(models.Operator)).scalars()
        ),
        default=0,
    )
    # A day of slack: a closure's local day is at most a day after its UTC one.
    cutoff = now + timedelta(days=1) - timedelta(days=shortest)
    closed_long_ago = (
        select(models.Line.id)
        .where(
            models.Line.subscriber_id == models.Subscriber.id,
            models.Line.status == LineStatus.CLOSED,
            models.Line.closed_at <= cutoff,
        )
        .exists()
    )
    serving = (
        select(models.Line.id)
        .where(
            models.Line.subscriber_id == models.Subscriber.id,
            models.Line.status != LineStatus.CLOSED,
        )
        .exists()
    )
    return list(
        session.execute(
            select(models.Subscriber)
            .where(models.Subscriber.erased_at.is_(None), closed_long_ago, ~serving)
            .order_by(models.Subscriber.id)
        ).scalars()
    )


def _refund_unpaid(session: Session, line_ids: list[int]) -> bool:
    """A refund still to be paid needs its account: nothing is erased until it is paid."""
    return (
        session.execute(
            select(models.RefundInstruction.id)
            .join(models.ClosureRequest)
            .where(
                models.ClosureRequest.line_id.in_(line_ids),
                models.RefundInstruction.disposition == "payout",
                models.RefundInstruction.status != "paid",
            )
            .limit(1)
        ).first()
        is not None
    )


def sweep(session: Session, deps: Deps, dry_run: bool = False) -> RetentionReport:
    """Erase (or with `dry_run` only list) every subscriber whose retention period has ended."""
    now = deps.clock.now()
    report = RetentionReport(dry_run=dry_run)
    for subscriber in _candidates(session, now):
        lines = list(
            session.execute(
                select(models.Line).where(models.Line.subscriber_id == subscriber.id)
            ).scalars()
        )
        if any(line.legal_hold for line in lines):
            report.kept.append(Kept(subscriber.id, "legal_hold"))
            continue
        line_ids = [line.id for line in lines]
        if _refund_unpaid(session, line_ids):
            report.kept.append(Kept(subscriber.id, "refund_unpaid"))
            continue
        disputed = session.execute(
            select(models.OpenOrder.id).where(
                models.OpenOrder.line_id.in_(line_ids),
                models.OpenOrder.kind == DISPUTE,
                models.OpenOrder.status == "open",
            )
        ).first()
        if disputed is not None:
            report.kept.append(Kept(subscriber.id, "open_dispute"))
            continue
        operator = lines[0].operator
        profile = profile_of(operator)
        closed_days = [
            local_today(profile, line.closed_at) for line in lines if line.closed_at is not None
        ]
        if not closed_days:
            continue
        last_closed = max(closed_days)
        due = last_closed + timedelta(days=profile.retention_days_after_closure.value)
        if local_today(profile, now) < due:
            continue
        references = tuple(
            session.execute(
                select(models.ClosureRequest.reference)
                .where(models.ClosureRequest.line_id.in_(line_ids))
                .order_by(models.ClosureRequest.id)
            ).scalars()
        )
        erasure = Erasure(
            subscriber.id,
            profile.code,
            last_closed,
            due,
            SUBSCRIBER_FIELDS + (REQUEST_FIELDS if references else ()),
            references,
        )
        report.erased.append(erasure)
        if not dry_run:
            _erase(session, deps, subscriber, line_ids, erasure)
    return report


def _erase(
    session: Session,
    deps: Deps,
    subscriber: models.Subscriber,
    line_ids: list[int],
    erasure: Erasure,
) -> None:
    now = deps.clock.now()
    subscriber.name_enc = None
    subscriber.id_number_enc = None
    subscriber.id_number_index = None
    subscriber.email_enc = None
    subscriber.service_password_hash = None
    subscriber.erased_at = now
    request_ids = select(models.ClosureRequest.id).where(
        models.ClosureRequest.line_id.in_(line_ids)
    )
    session.execute(
        update(models.ClosureRequest)
        .where(models.ClosureRequest.line_id.in_(line_ids))
        .values(refund_account_enc=None, alternate_contact_enc=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(models.RefundInstruction)
        .where(models.RefundInstruction.request_id.in_(request_ids))
        .values(account_enc=None)
    )
    session.execute(
        update(models.SubscriberSession)
        .where(
            models.SubscriberSession.subscriber_id == subscriber.id,
            models.SubscriberSession.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    audit.append(
        session,
        now,
        SYSTEM_ACTOR.label,
        "personal_data.erased",
        "subscriber",
        str(subscriber.id),
        {
            "fields": list(erasure.fields),
            "requests": list(erasure.requests),
            "profile": erasure.profile,
            "last_closed_on": erasure.last_closed_on.isoformat(),
            "due_on": erasure.due_on.isoformat(),
        },
    )
