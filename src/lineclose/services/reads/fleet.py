"""Fleet batches as reviewers and enterprises see them: the queue item, its lines, the results."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.db.models_fleet import FleetBatch, FleetBatchLine
from lineclose.errors import Forbidden
from lineclose.services.context import Actor
from lineclose.services.fleet.batches import get_batch

RESULT_COLUMNS = ("row", "msisdn", "iccid", "reference", "state", "blockers", "refund_minor")


@dataclass(frozen=True)
class BatchView:
    reference: str
    operator: str
    status: str
    authorised_contact: str  # masked
    authorising_document: str
    submitted_by: str
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime
    summary: dict[str, Any]
    states: dict[str, int]


@dataclass(frozen=True)
class BatchLineView:
    row: int
    msisdn: str
    iccid: str
    requested_date: date | None
    state: str
    blockers: list[str]
    refund_minor: int
    reference: str | None
    request_status: str | None
    error: str | None


def _view(session: Session, batch: FleetBatch, operator: str) -> BatchView:
    states = dict(
        session.execute(
            select(FleetBatchLine.state, func.count())
            .where(FleetBatchLine.batch_id == batch.id)
            .group_by(FleetBatchLine.state)
        ).all()
    )
    return BatchView(
        reference=batch.reference,
        operator=operator,
        status=batch.status,
        authorised_contact=batch.authorised_contact_masked,
        authorising_document=batch.authorising_document,
        submitted_by=batch.submitted_by,
        decided_by=batch.decided_by,
        decided_at=batch.decided_at,
        created_at=batch.created_at,
        summary=dict(batch.summary or {}),
        states={str(k): int(v) for k, v in states.items()},
    )


def list_batches(session: Session, actor: Actor, pending_only: bool = True) -> list[BatchView]:
    """The review queue's fleet items (one per batch), oldest first; staff only."""
    if not actor.is_staff:
        raise Forbidden("staff only", code="staff_only")
    query = (
        select(FleetBatch, models.Operator.code)
        .join(models.Operator, models.Operator.id == FleetBatch.operator_id)
        .order_by(FleetBatch.created_at, FleetBatch.id)
    )
    if pending_only:
        query = query.where(FleetBatch.status == "under_review")
    if actor.operator_id is not None:
        query = query.where(FleetBatch.operator_id == actor.operator_id)
    return [_view(session, batch, code) for batch, code in session.execute(query).all()]


def batch_detail(session: Session, actor: Actor, reference: str) -> BatchView:
    batch = get_batch(session, actor, reference)
    operator = session.get(models.Operator, batch.operator_id)
    assert operator is not None
    return _view(session, batch, operator.code)


def batch_lines(
    session: Session, actor: Actor, reference: str, after_row: int = 0, limit: int | None = 500
) -> list[BatchLineView]:
    """Lines in row order, a page at a time (keyset on the row number)."""
    batch = get_batch(session, actor, reference)
    query = (
        select(FleetBatchLine, models.Line.msisdn, models.Line.iccid, models.ClosureRequest)
        .join(models.Line, models.Line.id == FleetBatchLine.line_id)
        .outerjoin(models.ClosureRequest, models.ClosureRequest.id == FleetBatchLine.request_id)
        .where(FleetBatchLine.batch_id == batch.id, FleetBatchLine.row_number > after_row)
        .order_by(FleetBatchLine.row_number)
    )
    if limit is not None:
        query = query.limit(limit)
    views = []
    for card, msisdn, iccid, request in session.execute(query).all():
        blockers = request.blockers if request is not None and request.blockers else card.blockers
        refund = card.refund_minor
        if request is not None and request.quote:
            refund = int(request.quote.get("refund_minor", refund))
        views.append(
            BatchLineView(
                row=card.row_number,
                msisdn=msisdn,
                iccid=iccid,
                requested_date=card.requested_date,
                state=card.state,
                blockers=[str(b.get("code")) for b in blockers or []],
                refund_minor=refund,
                reference=request.reference if request is not None else None,
                request_status=request.status if request is not None else None,
                error=card.error,
            )
        )
    return views


def result_csv(session: Session, actor: Actor, reference: str) -> str:
    """The per-line result file: reference, state (the request's once submitted), blockers and
    refund, for the enterprise's own records (its cards are named in full)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(RESULT_COLUMNS)
    after = 0
    while True:
        page = batch_lines(session, actor, reference, after_row=after, limit=5_000)
        if not page:
            break
        for v in page:
            writer.writerow(
                (
                    v.row,
                    v.msisdn,
                    v.iccid,
                    v.reference or "",
                    v.request_status or v.state,
                    " ".join(v.blockers) or (v.error or ""),
                    v.refund_minor,
                )
            )
        after = page[-1].row
    return out.getvalue()
