"""Closing a fleet account's active lines at once (`lineclose bulk close --fleet`): staff who
checked the account holder's authorisation in person (an ID document seen) submit a closure for
every line, a chunk of thousands per transaction through `closure.batch_submit`. Each line's
Idempotency-Key is `bulk:<fleet>:<number>`, so a run repeated after a crash answers with the
requests already made and submits the rest; a refused line is counted by its refusal's code
while the others go on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.domain.facts import IdentityMethod
from lineclose.services.closure.batch_plan import BatchSpec, CardIn
from lineclose.services.closure.batch_submit import submit_batch
from lineclose.services.closure.input import ClosureInput
from lineclose.services.context import Actor, Deps
from lineclose.services.identity import IdentityEvidence

CHUNK = 2_000


def account_spec(
    actor: Actor, operator_id: int, refund_account: str | None, alternate_contact: str
) -> BatchSpec:
    return BatchSpec(
        actor=actor,
        operator_id=operator_id,
        given=ClosureInput(
            refund_account=refund_account,
            alternate_contact=alternate_contact,
            identity=(IdentityEvidence(IdentityMethod.ID_DOCUMENT_SEEN),),
        ),
    )


def active_lines(session: Session, operator_id: int, fleet: str) -> list[tuple[int, str]]:
    """(id, number) of a fleet's active lines, in line order."""
    return [
        (int(i), str(m))
        for i, m in session.execute(
            select(models.Line.id, models.Line.msisdn)
            .where(
                models.Line.operator_id == operator_id,
                models.Line.fleet_account == fleet,
                models.Line.status == "active",
            )
            .order_by(models.Line.id)
        )
    ]


def submit_lines(
    session: Session, deps: Deps, spec: BatchSpec, fleet: str, lines: Sequence[tuple[int, str]]
) -> Counter[str]:
    """Submit a chunk of the fleet's lines; counts the requests by status, refusals by code."""
    outcomes = submit_batch(
        session, deps, spec, [CardIn(i, f"bulk:{fleet}:{msisdn}") for i, msisdn in lines]
    )
    return Counter(o.error or o.status or "" for o in outcomes)
