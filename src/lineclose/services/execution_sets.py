"""Executing a batch of closure requests with set-based statements.

The same effects as `services.execution`'s one-request steps (tests compare them): each
handler takes the claimed steps of one kind, reads their requests with one query, and writes
each table once for the whole batch (multi-row INSERTs, UPDATE .. WHERE id IN, executemany).
It returns each step's result and the outbox rows of the next steps, which the worker enqueues
or, for a step it performs in the same transaction, writes done. A request in a state the step
does not expect raises, and the worker performs that batch one step at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from lineclose.db import audit, models
from lineclose.db.among import among
from lineclose.db.outbox import Claimed
from lineclose.domain.eligibility import BlockerCode
from lineclose.domain.facts import LineStatus
from lineclose.domain.identifiers import mask_msisdn
from lineclose.domain.outbox import Step
from lineclose.domain.settlement import quote
from lineclose.domain.states import Command, RequestState
from lineclose.ports.errors import Retryable
from lineclose.services.context import SYSTEM_ACTOR, Deps
from lineclose.services.execution_finalize import finalize_many
from lineclose.services.execution_settle import write_settlements
from lineclose.services.execution_transitions import transition_many
from lineclose.services.lines import build_facts, contract_facts, local_today, profile_of

Result = dict[str, Any]
Request = models.ClosureRequest
# Each step's result, and the outbox rows (`outbox.enqueue_many`'s) of the steps that follow.
Recorded = tuple[list[Result], list[dict[str, Any]]]
# Claimed steps of one kind and, for gateway steps, each one's call outcome -> what they left.
BatchRecord = Callable[[Session, Deps, list[tuple[Claimed, Result]]], Recorded]


# The requests a transaction has loaded (in its session's `info`): the steps performed one
# after another in one transaction (bar, settle, finalize) read them once. What a step changes
# that a later one reads is set on the loaded objects too (`write_settlements`: the quote).
LOADED = "execution_sets.loaded_requests"


def load_requests(
    session: Session, claimed: list[Claimed], related: bool = True
) -> dict[int, Request]:
    """The batch's requests with their lines, operators and subscribers (without them unless
    `related`): one query, or none for those this transaction has loaded already."""
    ids = {c.request_id for c in claimed}
    if None in ids:
        raise ValueError("a closure step without its request")
    loaded: dict[int, Request] = session.info.setdefault(LOADED, {}) if related else {}
    missing = [i for i in ids if i not in loaded]
    if missing:
        query = select(Request).where(among(session, Request.id, missing))
        if related:
            # Operators by a query of their own: joined, their JSON settings would come (and be
            # parsed) again with every request of a batch that shares one or two of them.
            query = query.options(
                joinedload(Request.line).selectinload(models.Line.operator),
                joinedload(Request.line).joinedload(models.Line.subscriber),
            )
        loaded.update((r.id, r) for r in session.execute(query).unique().scalars())
    requests = {i: loaded[i] for i in ids if i in loaded}
    if len(requests) != len(ids):
        raise ValueError("a closure step names a request that does not exist")
    return requests


def line_identities(session: Session, claimed: list[Claimed]) -> dict[int, tuple[str, str]]:
    """(IMSI, MSISDN) of each step's line by request id, read without loading the requests."""
    rows = session.execute(
        select(Request.id, models.Line.imsi, models.Line.msisdn)
        .join(models.Line, models.Line.id == Request.line_id)
        .where(among(session, Request.id, {c.request_id for c in claimed}))
    )
    return {request_id: (imsi, msisdn) for request_id, imsi, msisdn in rows}


def next_steps(requests: list[Request], step: str) -> list[dict[str, Any]]:
    return [{"step": step, "key": f"{r.id}:{step}", "request_id": r.id} for r in requests]


def begin_execution_many(
    session: Session, deps: Deps, batch: list[tuple[Claimed, Result]]
) -> Recorded:
    claimed = [c for c, _ in batch]
    requests = load_requests(session, claimed, related=False)  # the line is updated by id
    results: list[Result] = []
    going: list[Request] = []
    started: set[int] = set()
    for step in claimed:
        assert step.request_id is not None
        request = requests[step.request_id]
        status = RequestState.EXECUTING.value if request.id in started else request.status
        if status not in (RequestState.APPROVED.value, RequestState.SCHEDULED.value):
            results.append({"skipped": f"request is {status}"})
            continue
        if any(b.get("code") == BlockerCode.LEGAL_HOLD for b in request.blockers or []):
            raise Retryable("closure", "a legal hold was placed on the line after approval")
        started.add(request.id)
        going.append(request)
        results.append({"state": RequestState.EXECUTING.value})
    if going:
        transition_many(session, deps, going, Command.EXECUTE)
        session.execute(
            update(models.Line)
            .where(among(session, models.Line.id, [r.line_id for r in going]))
            .values(status=LineStatus.CLOSING)
        )
    return results, next_steps(going, Step.BAR_LINE)


def record_bar_many(session: Session, deps: Deps, batch: list[tuple[Claimed, Result]]) -> Recorded:
    requests = load_requests(session, [c for c, _ in batch])
    now = deps.clock.now()
    done: dict[int, Request] = {}
    for claimed, _ in batch:
        assert claimed.request_id is not None
        request = requests[claimed.request_id]
        audit.append(
            session, now, SYSTEM_ACTOR.label, "hlr.barred", "line", str(request.line_id),
            {"msisdn": mask_msisdn(request.line.msisdn)},
        )  # fmt: skip
        done[request.id] = request
    return [result for _, result in batch], next_steps(list(done.values()), Step.SETTLE)


def settle_many(session: Session, deps: Deps, batch: list[tuple[Claimed, Result]]) -> Recorded:
    """Final bills, balances zeroed, refund instructions and debts of the batch's requests."""
    claimed = [c for c, _ in batch]
    requests = load_requests(session, claimed)
    if len(requests) != len(claimed):
        raise ValueError("a request settled twice in one batch")
    contracts = {
        c.line_id: contract_facts(c)
        for c in session.execute(
            select(models.Contract).where(
                among(session, models.Contract.line_id, [r.line_id for r in requests.values()])
            )
        ).scalars()
    }
    now = deps.clock.now()
    settled = []
    days: dict[str, date] = {}
    for step in claimed:
        assert step.request_id is not None
        request = requests[step.request_id]
        line = request.line
        profile = profile_of(line.operator)
        if profile.timezone not in days:  # the same for every line of a jurisdiction
            days[profile.timezone] = local_today(profile, now)
        today = days[profile.timezone]
        facts = build_facts(line, (), contracts.get(line.id), (), ())
        final = quote(facts, today, request.accept_etf, profile.refund_fee_minor.value)
        settled.append((request, profile, today, final))
    results = write_settlements(session, deps, settled)
    return results, next_steps([s[0] for s in settled], Step.FINALIZE)


def finalize_batch(session: Session, deps: Deps, batch: list[tuple[Claimed, Result]]) -> Recorded:
    claimed = [c for c, _ in batch]
    requests = load_requests(session, claimed)
    if len(requests) != len(claimed):
        raise ValueError("a request finalized twice in one batch")
    return finalize_many(session, deps, [requests[c.request_id or 0] for c in claimed]), []


BATCH_RECORD: dict[str, BatchRecord] = {
    Step.BEGIN_EXECUTION: begin_execution_many,
    Step.BAR_LINE: record_bar_many,
    Step.SETTLE: settle_many,
    Step.FINALIZE: finalize_batch,
}
