"""Approved cards of a fleet batch submitted one at a time (`closure.submit` per card, each in a
savepoint): the reference the set-based `submission` is tested against.

Each card's request records the batch's fleet authorisation as its identity (never a document
"seen" per card), its notices after closure go to the authorised contact, and the batch's
approval stands for the review: a request that reaches review is approved under the batch, naming
its reviewer, unless its refund needs a second approver. A card refused on submission
is marked failed with the refusal's code; the others go on. Resuming is picking the next
approved cards: a chunk that did not commit left its cards approved.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.db.models_fleet import FleetBatch, FleetBatchLine
from lineclose.domain.facts import IdentityMethod
from lineclose.domain.states import RequestState
from lineclose.errors import LinecloseError
from lineclose.services import closure
from lineclose.services.closure.batch_plan import quiet_notices
from lineclose.services.context import Actor, Channel, Deps, Role
from lineclose.services.fleet.submission import remaining
from lineclose.services.sms_keywords.closing import withdraw_superseded_notices

CHUNK = 200


def submit_chunk(session: Session, deps: Deps, batch: FleetBatch, limit: int = CHUNK) -> int:
    """Submit up to `limit` approved cards; returns how many were handled (0: none left)."""
    cards = list(
        session.execute(
            select(FleetBatchLine)
            .where(FleetBatchLine.batch_id == batch.id, FleetBatchLine.state == "approved")
            .order_by(FleetBatchLine.row_number)
            .limit(limit)
        ).scalars()
    )
    actor = Actor(
        Role.AGENT, f"fleet:{batch.reference}", Channel.BULK, operator_id=batch.operator_id
    )
    contact = deps.vault.decrypt(batch.authorised_contact_enc)
    account = deps.vault.decrypt(batch.refund_account_enc) if batch.refund_account_enc else None
    for card in cards:
        given = closure.ClosureInput(
            refund_account=account,
            alternate_contact=contact,
            requested_date=card.requested_date,
        )
        try:
            with session.begin_nested():
                card.request_id = _submit_card(session, deps, actor, batch, card, given)
                card.state = "submitted"
        except LinecloseError as exc:
            card.state = "failed"
            card.error = exc.code[:200]
    if cards and remaining(session, batch) == 0:
        batch.status = "done"
        batch.updated_at = deps.clock.now()
    return len(cards)


def _submit_card(
    session: Session,
    deps: Deps,
    actor: Actor,
    batch: FleetBatch,
    card: FleetBatchLine,
    given: closure.ClosureInput,
) -> int:
    line = session.get(models.Line, card.line_id)
    assert line is not None
    since = deps.clock.now()
    request = closure.submit(
        session,
        deps,
        actor,
        line.msisdn,
        given,
        f"{batch.reference}:{card.row_number}",
        granted=frozenset({IdentityMethod.FLEET_AUTHORISATION}),
    ).request
    if request.status == RequestState.UNDER_REVIEW.value:
        # The batch's review stands for each card's: recorded under the batch, naming its decider.
        approver = Actor(
            Role.REVIEWER, f"batch:{batch.reference}", Channel.BULK, operator_id=batch.operator_id
        )
        closure.approve(
            session,
            deps,
            approver,
            request.reference,
            note=f"fleet batch {batch.reference} approved by {batch.decided_by}",
        )
    closing_now = request.status == RequestState.APPROVED.value
    withdraw_superseded_notices(session, request, since, quiet_notices(closing_now))
    return request.id
