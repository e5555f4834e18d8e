"""Submitting a chunk of cards (thousands) in the caller's transaction, with set-based reads and
batched writes: the chunk's lines and facts in a handful of queries (`services.bulk`), each card
decided by `batch_plan` as the one-request path decides it, then the requests, their history,
audit entries and outbox rows written with one multi-row statement per table.

A card refused (its line has an open request, a date in the past, a refund with no account...)
gets its refusal's code while the others go on. An Idempotency-Key already used answers with
its request (`created` False), so a chunk repeated after a crash, or by a second process, makes
no second request. References are drawn for the whole chunk, checked against the table in one
query and drawn again on a clash; should a concurrent writer still take one first, the chunk's
insert is retried in a savepoint, never failing the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.db.among import among
from lineclose.db.bulk_writes import present
from lineclose.domain.contacts import validate_refund_account
from lineclose.domain.facts import IdentityMethod, LineStatus
from lineclose.domain.identifiers import InvalidIdentifier, mask_msisdn
from lineclose.domain.policies import AutoApprovalPolicy
from lineclose.domain.states import RequestState
from lineclose.errors import Forbidden, InvalidInput, LinecloseError
from lineclose.i18n import SUPPORTED_LOCALES
from lineclose.services.bulk import LINE_COLUMNS, facts_of_lines
from lineclose.services.closure.batch_plan import BatchSpec, CardIn, Context, Plan, plan_card
from lineclose.services.closure.batch_rows import write_plans
from lineclose.services.closure.references import BodySource, new_reference, secure_body
from lineclose.services.closure.submit import REFERENCE_ATTEMPTS
from lineclose.services.context import Deps, Role
from lineclose.services.identity.evidence import seen_document
from lineclose.services.lines import calendar_for, local_today, profile_of

__all__ = ["BatchSpec", "CardIn", "CardOutcome", "submit_batch"]

_DONE = (RequestState.CLOSED.value, RequestState.WITHDRAWN.value)
# A line row is `services.bulk`'s columns (what its facts are built from), then these two.
_OPERATOR = len(LINE_COLUMNS)
_STATUS = next(i for i, c in enumerate(LINE_COLUMNS) if c is models.Line.status)
_LANGUAGE = _OPERATOR + 1


@dataclass(frozen=True)
class CardOutcome:
    line_id: int
    request_id: int | None = None
    reference: str | None = None
    status: str | None = None  # the request's status after submission
    error: str | None = None  # the refusal's code when no request was made
    created: bool = False  # False: an earlier request with the same Idempotency-Key


def _context(session: Session, deps: Deps, spec: BatchSpec, operator: models.Operator) -> Context:
    profile = profile_of(operator)
    now = deps.clock.now()
    given = spec.given
    if given.acknowledged_bindings or given.caller_verification:
        raise ValueError("a batch names no binding or caller check: those belong to one line")
    refused_account: InvalidInput | None = None
    account = None
    try:
        account = validate_refund_account(given.refund_account) if given.refund_account else None
    except InvalidIdentifier as refused:
        refused_account = InvalidInput(
            str(refused), code=f"invalid_{refused.field}", field=refused.field
        )
    refused_identity: InvalidInput | Forbidden | None = None
    document = None
    methods: set[IdentityMethod] = set()
    try:
        document = seen_document(spec.actor, list(given.identity))
        for item in given.identity:
            if item.method is not IdentityMethod.ID_DOCUMENT_SEEN:
                raise ValueError("a batch carries no per-line identity evidence")
            if spec.actor.role not in (Role.AGENT, Role.ADMIN):
                raise Forbidden(
                    "only store or hotline staff can record a document check", code="staff_only"
                )
            methods.add(item.method)
    except (InvalidInput, Forbidden) as refused:
        refused_identity = refused
    return Context(
        now=now,
        today=local_today(profile, now),
        profile=profile,
        calendar=calendar_for(session, profile),
        policy=AutoApprovalPolicy.from_settings(operator.auto_approval),
        operator_name=operator.name,
        methods=frozenset(methods),
        document=document,
        account=account,
        refused_account=refused_account,
        refused_identity=refused_identity,
    )


def _stored_key(spec: BatchSpec, card: CardIn) -> str | None:
    return f"{spec.actor.label}:{card.idempotency_key}" if card.idempotency_key else None


def submit_batch(
    session: Session,
    deps: Deps,
    spec: BatchSpec,
    cards: Sequence[CardIn],
    *,
    draw_reference: BodySource = secure_body,
) -> list[CardOutcome]:
    """Submit `cards` (of one operator) in the caller's transaction; one outcome per card, in
    order. The number of statements does not grow with the number of cards."""
    if not cards:
        return []
    operator = session.get(models.Operator, spec.operator_id)
    assert operator is not None
    ctx = _context(session, deps, spec, operator)
    ids = sorted({c.line_id for c in cards})
    lines = list(
        session.execute(
            select(*LINE_COLUMNS, models.Line.operator_id, models.Subscriber.language)
            .outerjoin(models.Subscriber, models.Subscriber.id == models.Line.subscriber_id)
            .where(among(session, models.Line.id, ids))
            .order_by(models.Line.id)
        )
    )
    chunk_facts = facts_of_lines(session, lines)
    facts = dict(zip((r[0] for r in lines), chunk_facts, strict=True))
    by_id = {r[0]: r for r in lines}
    open_reference = {
        line_id: reference
        for line_id, reference, status in present(
            session,
            models.ClosureRequest.line_id,
            ids,
            models.ClosureRequest.reference,
            models.ClosureRequest.status,
        )
        if status not in _DONE
    }
    keys = [k for c in cards if (k := _stored_key(spec, c))]
    outcomes: list[CardOutcome | None] = [None] * len(cards)
    plans: dict[int, Plan] = {}
    replayed = _replays(session, keys)
    taken: set[int] = set()
    for index, card in enumerate(cards):
        key = _stored_key(spec, card)
        line = by_id.get(card.line_id)
        try:
            if line is None or line[_OPERATOR] != spec.operator_id:
                raise _unknown(line[1] if line else "")
            earlier = replayed.get(key) if key else None
            if earlier is not None:
                outcomes[index] = _replay(card, earlier, spec, facts[card.line_id].msisdn)
                continue
            if card.line_id in open_reference or card.line_id in taken:
                raise LinecloseError(
                    "this line already has an open closure request", code="open_request_exists"
                )
            if line[_STATUS] == LineStatus.CLOSED.value:
                raise LinecloseError("this line is already closed", code="line_closed")
            language = line[_LANGUAGE]
            locale = language if language in SUPPORTED_LOCALES else ctx.profile.locale
            plan = plan_card(ctx, spec, facts[card.line_id], card, locale)
            plan.request["idempotency_key"] = key
            plans[index] = plan
            taken.add(card.line_id)
        except LinecloseError as refused:
            outcomes[index] = CardOutcome(card.line_id, error=refused.code)
    _write(session, deps, ctx, spec, cards, plans, outcomes, draw_reference)
    return [
        o if o is not None else CardOutcome(c.line_id, error="reference_exhausted")
        for o, c in zip(outcomes, cards, strict=True)
    ]


def _unknown(msisdn: str) -> LinecloseError:
    return LinecloseError(f"no line with number {mask_msisdn(msisdn)}", code="unknown_line")


def _replays(session: Session, keys: list[str]) -> dict[str, tuple[Any, ...]]:
    """Requests already made under these keys: key -> (id, reference, status, digest)."""
    request = models.ClosureRequest
    return {
        row[0]: row[1:]
        for row in present(
            session,
            request.idempotency_key,
            keys,
            request.id,
            request.reference,
            request.status,
            request.payload_digest,
        )
    }


def _replay(card: CardIn, earlier: tuple[Any, ...], spec: BatchSpec, msisdn: str) -> CardOutcome:
    request_id, reference, status, digest = earlier
    given = replace(spec.given, requested_date=card.requested_date)
    if digest != given.digest(msisdn, spec.actor.channel.value):
        return CardOutcome(card.line_id, error="idempotency_key_reused")
    return CardOutcome(card.line_id, request_id, reference, status, created=False)


def _draw(session: Session, ctx: Context, count: int, draw: BodySource) -> list[str]:
    """`count` references, distinct and free in the table (one query per round of draws)."""
    chosen: list[str] = []
    for _ in range(REFERENCE_ATTEMPTS):
        taken = set(chosen)
        fresh = [
            r
            for r in dict.fromkeys(new_reference(ctx.now, draw) for _ in range(count - len(chosen)))
            if r not in taken
        ]
        used = {r for (r,) in present(session, models.ClosureRequest.reference, fresh)}
        chosen.extend(r for r in fresh if r not in used)
        if len(chosen) == count:
            break
    return chosen


def _write(
    session: Session,
    deps: Deps,
    ctx: Context,
    spec: BatchSpec,
    cards: Sequence[CardIn],
    plans: dict[int, Plan],
    outcomes: list[CardOutcome | None],
    draw: BodySource,
) -> None:
    pending = dict(plans)
    for _ in range(REFERENCE_ATTEMPTS):
        if not pending:
            return
        references = _draw(session, ctx, len(pending), draw)
        if len(references) < len(pending):
            continue
        for plan, reference in zip(pending.values(), references, strict=True):
            plan.request["reference"] = reference
        try:
            with session.begin_nested():
                written = write_plans(session, deps, ctx, list(pending.values()))
        except IntegrityError:
            # A concurrent writer took a key or a reference first: its requests answer for
            # those keys; the others draw again.
            replayed = _replays(session, [str(p.key) for p in pending.values() if p.key])
            for index in list(pending):
                key = pending[index].key
                if key and key in replayed:
                    outcomes[index] = _replay(
                        cards[index], replayed[key], spec, pending[index].msisdn
                    )
                    del pending[index]
            continue
        for (index, plan), request_id in zip(pending.items(), written, strict=True):
            outcomes[index] = CardOutcome(
                plan.line_id, request_id, plan.request["reference"], plan.status, created=True
            )
        return
