"""Fleet batches as reviewers and enterprises see them: the queue item, its lines, the results."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.db.models_fleet import FleetBatch, FleetBatchLine
from lineclose.errors import Forbidden
from lineclose.services.context import Actor
from lineclose.services.fleet.batches import get_batch

# Rows fetched from the result file's one query at a time.
RESULT_PARTITION = 10_000
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


def _lines_query(batch: FleetBatch, after_row: int) -> Select[Any]:
    card, request = FleetBatchLine, models.ClosureRequest
    return (
        select(
            card.row_number,
            models.Line.msisdn,
            models.Line.iccid,
            card.requested_date,
            card.state,
            card.blockers,
            card.refund_minor,
            card.error,
            request.reference,
            request.status,
            request.blockers,
            request.quote,
        )
        .join(models.Line, models.Line.id == card.line_id)
        .outerjoin(request, request.id == card.request_id)
        .where(card.batch_id == batch.id, card.row_number > after_row)
        .order_by(card.row_number)
    )


def _line_view(found: Sequence[Any]) -> BatchLineView:
    (
        row,
        msisdn,
        iccid,
        requested_date,
        state,
        card_blockers,
        refund,
        error,
        request_reference,
        request_status,
        request_blockers,
        quote,
    ) = found
    blockers = request_blockers or card_blockers
    if quote:
        refund = int(quote.get("refund_minor", refund))
    return BatchLineView(
        row=row,
        msisdn=msisdn,
        iccid=iccid,
        requested_date=requested_date,
        state=state,
        blockers=[str(b.get("code")) for b in blockers or []],
        refund_minor=refund,
        reference=request_reference,
        request_status=request_status,
        error=error,
    )


def batch_lines(
    session: Session, actor: Actor, reference: str, after_row: int = 0, limit: int | None = 500
) -> list[BatchLineView]:
    """Lines in row order, a page at a time (keyset on the row number)."""
    query = _lines_query(get_batch(session, actor, reference), after_row)
    if limit is not None:
        query = query.limit(limit)
    return [_line_view(found) for found in session.execute(query)]


def result_chunks(session: Session, actor: Actor, reference: str) -> Iterator[str]:
    """The per-line result file, in chunks of CSV text: reference, state (the request's once
    submitted), blockers and refund, for the enterprise's own records (its cards are named in
    full). One query streamed in partitions (columns, not objects): pages would each join
    their 10,000 cards against the whole of the lines and requests of a million-card batch."""
    query = _lines_query(get_batch(session, actor, reference), 0)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(RESULT_COLUMNS)
    found = session.execute(query.execution_options(yield_per=RESULT_PARTITION))
    for partition in found.partitions():
        writer.writerows(
            (
                v.row,
                v.msisdn,
                v.iccid,
                v.reference or "",
                v.request_status or v.state,
                " ".join(v.blockers) or (v.error or ""),
                v.refund_minor,
            )
            for v in map(_line_view, partition)
        )
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    if out.tell():
        yield out.getvalue()


def result_csv(session: Session, actor: Actor, reference: str) -> str:
    """The whole result file as text (see `result_chunks`)."""
    return "".join(result_chunks(session, actor, reference))
