"""A batch of closure requests moving through the same command: `closure.transition`'s checks,
stamps, history and audit, with one UPDATE and one multi-row INSERT for the batch."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.db.among import among
from lineclose.db.bulk_update import update_each
from lineclose.db.bulk_writes import insert_rows
from lineclose.db.models_tmf622 import TmfProductOrder
from lineclose.domain.states import Command, RequestState, TransitionRefused, next_state
from lineclose.errors import TransitionNotAllowed
from lineclose.services.context import SYSTEM_ACTOR, Actor, Deps
from lineclose.services.tmf622 import hub as tmf_hub

Request = models.ClosureRequest


def transition_many(
    session: Session,
    deps: Deps,
    requests: list[Request],
    command: Command,
    reasons: dict[int, dict[str, Any]] | None = None,
    actor: Actor = SYSTEM_ACTOR,
    changed: dict[int, dict[str, Any]] | None = None,
    **stamps: Any,
) -> None:
    """Every request takes `command` (a refusal raises, as `transition` does); `stamps` are
    further columns set on all of them (`closed_at`, ...). `changed` holds, for every request
    or none, columns an earlier step of this transaction changed and left to this update to
    store (`execution_merge`): a change of its own, the request's version moves on for it."""
    now = deps.clock.now()
    moves: list[tuple[Request, RequestState, RequestState]] = []
    for request in requests:
        current = RequestState(request.status)
        try:
            moves.append((request, current, next_state(current, command)))
        except TransitionRefused as exc:
            raise TransitionNotAllowed(str(exc), state=current.value) from exc
    table = Request.metadata.tables[Request.__tablename__]
    for target in {target for _, _, target in moves}:
        ids = [r.id for r, _, moved_to in moves if moved_to == target]
        if changed:
            update_each(
                session, table, [{"id": i, **changed[i]} for i in ids],
                increment={"version": 2}, status=target.value, updated_at=now, **stamps,
            )  # fmt: skip
            continue
        session.execute(
            update(table)
            .where(among(session, table.c.id, ids))
            .values(status=target.value, updated_at=now, version=table.c.version + 1, **stamps)
        )
    reasons = reasons or {}
    insert_rows(
        session,
        models.RequestEvent,
        [
            {
                "request_id": r.id,
                "from_state": current.value,
                "to_state": target.value,
                "command": command.value,
                "actor": actor.label,
                "channel": actor.channel.value,
                "reason": reasons.get(r.id, {}),
                "at": now,
            }
            for r, current, target in moves
        ],
    )
    for r, current, target in moves:
        audit.append(
            session, now, actor.label, f"request.{command.value}", "closure_request", r.reference,
            {
                "from": current.value,
                "to": target.value,
                "channel": actor.channel.value,
                **reasons.get(r.id, {}),
            },
        )  # fmt: skip
    ordered = list(
        session.execute(
            select(TmfProductOrder.request_id).where(
                among(session, TmfProductOrder.request_id, [r.id for r, _, _ in moves])
            )
        ).scalars()
    )
    if ordered:
        # Orders placed through TMF622 tell their hub listeners in this same transaction, from
        # the requests as now stored.
        for request, _, _ in moves:
            session.expire(request)
        for request_id in ordered:
            tmf_hub.announce(session, deps, request_id)
