"""Approved cards of a fleet batch become closure requests, a chunk of thousands per transaction.

Each card's request records the batch's fleet authorisation as its identity (never a document
"seen" per card), its notices after closure go to the authorised contact, and the batch's
approval stands for the review: a request that reaches review is approved under the batch, naming
its reviewer, unless its refund needs a second approver. A card refused on submission is marked
failed with the refusal's code; the others go on. The chunk is submitted set-based
(`closure.batch_submit`: a few statements per chunk, not per card) and its batch lines updated
in the same transaction, so resuming is picking the next approved cards: a chunk that did not
commit left its cards approved, and one that did left none. `submission_each` is the same
submission one card at a time, kept as the reference the set-based path is tested against.
"""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from lineclose.db.bulk_writes import update_by_id
from lineclose.db.models_fleet import FleetBatch, FleetBatchLine
from lineclose.services.closure.batch_plan import BatchSpec, CardIn
from lineclose.services.closure.batch_submit import submit_batch
from lineclose.services.closure.input import ClosureInput
from lineclose.services.context import Actor, Channel, Deps, Role
from lineclose.services.fleet.batches import get_batch

CHUNK = 2_000


def remaining(session: Session, batch: FleetBatch) -> int:
    return int(
        session.execute(
            select(func.count()).where(
                FleetBatchLine.batch_id == batch.id, FleetBatchLine.state == "approved"
            )
        ).scalar_one()
    )


def _any_left(session: Session, batch: FleetBatch) -> bool:
    """Whether an approved card is left: an EXISTS, since counting them after every chunk
    of a million-card batch would read the rest of the batch each time."""
    left = select(FleetBatchLine.id).where(
        FleetBatchLine.batch_id == batch.id, FleetBatchLine.state == "approved"
    )
    return bool(session.execute(select(exists(left))).scalar_one())


def batch_spec(deps: Deps, batch: FleetBatch) -> BatchSpec:
    """How a batch's cards are submitted: under its fleet authorisation, notices to its
    authorised contact, approved under its review."""
    contact = deps.vault.decrypt(batch.authorised_contact_enc)
    account = deps.vault.decrypt(batch.refund_account_enc) if batch.refund_account_enc else None
    return BatchSpec(
        actor=Actor(
            Role.AGENT, f"fleet:{batch.reference}", Channel.BULK, operator_id=batch.operator_id
        ),
        operator_id=batch.operator_id,
        given=ClosureInput(refund_account=account, alternate_contact=contact),
        fleet_authorisation=True,
        quiet_intake=True,
        approver=Actor(
            Role.REVIEWER, f"batch:{batch.reference}", Channel.BULK, operator_id=batch.operator_id
        ),
        note=f"fleet batch {batch.reference} approved by {batch.decided_by}",
    )


def submit_chunk(session: Session, deps: Deps, batch: FleetBatch, limit: int = CHUNK) -> int:
    """Submit up to `limit` approved cards; returns how many were handled (0: none left)."""
    line = FleetBatchLine
    cards = session.execute(
        select(line.id, line.line_id, line.row_number, line.requested_date)
        .where(line.batch_id == batch.id, line.state == "approved")
        .order_by(line.row_number)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not cards:
        return 0
    outcomes = submit_batch(
        session,
        deps,
        batch_spec(deps, batch),
        [CardIn(c.line_id, f"{batch.reference}:{c.row_number}", c.requested_date) for c in cards],
    )
    update_by_id(
        session,
        FleetBatchLine,
        [
            {
                "id": card.id,
                "state": "failed" if outcome.error else "submitted",
                "request_id": outcome.request_id,
                "error": outcome.error[:200] if outcome.error else None,
            }
            for card, outcome in zip(cards, outcomes, strict=True)
        ],
    )
    if not _any_left(session, batch):
        batch.status = "done"
        batch.updated_at = deps.clock.now()
    return len(cards)


def submit_next(
    session: Session, deps: Deps, actor: Actor, reference: str, limit: int = CHUNK
) -> int:
    """Submit the next approved cards of a batch (staff); 0 when none are left."""
    return submit_chunk(session, deps, get_batch(session, actor, reference), limit)


def remaining_for(session: Session, actor: Actor, reference: str) -> int:
    return remaining(session, get_batch(session, actor, reference))
