"""Precheck of whole fleets or operators at once: set-based reads, then the pure domain per line.

Six queries per chunk of lines, reading plain rows (no ORM objects), instead of several per line.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.domain import facts as f
from lineclose.domain.eligibility import Eligibility, evaluate
from lineclose.domain.facts import LineStatus
from lineclose.domain.states import OPEN_STATES
from lineclose.services.context import Deps
from lineclose.services.lines import calendar_for, local_today, profile_of

CHUNK = 5_000


@dataclass(frozen=True)
class LineVerdict:
    msisdn: str
    eligibility: Eligibility


T = TypeVar("T")


def _grouped(rows: list[tuple[int, T]]) -> dict[int, list[T]]:
    grouped: dict[int, list[T]] = defaultdict(list)
    for line_id, item in rows:
        grouped[line_id].append(item)
    return grouped


_LINE_COLUMNS = (
    models.Line.id,
    models.Line.msisdn,
    models.Line.kind,
    models.Line.payment,
    models.Line.status,
    models.Line.currency,
    models.Line.monthly_fee_minor,
    models.Line.billing_day,
    models.Line.paid_credit_minor,
    models.Line.promo_credit_minor,
    models.Line.unbilled_usage_minor,
    models.Line.legal_hold,
    models.Line.lost_reported,
    models.Line.fleet_account,
)


def _facts_of_chunk(
    session: Session, lines: list[Any], first: int, last: int
) -> Iterator[f.LineFacts]:
    """The same facts `lines.line_facts` loads for one line, for a chunk of lines: one query
    per kind of fact over the chunk's id range, plain rows (no ORM objects), the same order."""
    in_chunk = models.Bill.line_id.between(first, last)
    bills = _grouped(
        [
            (line_id, f.UnpaidBill(bill_id, amount, due_on))
            for line_id, bill_id, amount, due_on in session.execute(
                select(
                    models.Bill.line_id,
                    models.Bill.id,
                    models.Bill.amount_minor,
                    models.Bill.due_on,
                )
                .where(in_chunk, models.Bill.paid_at.is_(None))
                .order_by(models.Bill.line_id, models.Bill.due_on)
            )
        ]
    )
    contracts = {
        row[0]: f.Contract(
            commitment_end=row[1],
            etf_rule=f.EtfRule(row[2]),
            etf_fixed_minor=row[3],
            etf_monthly_minor=row[4],
            processing_fee_minor=row[5],
        )
        for row in session.execute(
            select(
                models.Contract.line_id,
                models.Contract.commitment_end,
                models.Contract.etf_rule,
                models.Contract.etf_fixed_minor,
                models.Contract.etf_monthly_minor,
                models.Contract.processing_fee_minor,
            ).where(models.Contract.line_id.between(first, last))
        )
    }
    bindings = _grouped(
        [
            (line_id, f.Binding(binding_id, service, category))
            for line_id, binding_id, service, category in session.execute(
                select(
                    models.Binding.line_id,
                    models.Binding.id,
                    models.Binding.service,
                    models.Binding.category,
                )
                .where(
                    models.Binding.line_id.between(first, last), models.Binding.unbound_on.is_(None)
                )
                .order_by(models.Binding.line_id, models.Binding.id)
            )
        ]
    )
    orders = _grouped(
        [
            (line_id, f.OpenOrder(kind, reference))
            for line_id, kind, reference in session.execute(
                select(models.OpenOrder.line_id, models.OpenOrder.kind, models.OpenOrder.reference)
                .where(
                    models.OpenOrder.line_id.between(first, last), models.OpenOrder.status == "open"
                )
                .order_by(models.OpenOrder.line_id, models.OpenOrder.id)
            )
        ]
        + [
            (line_id, f.OpenOrder("closure", reference))
            for line_id, reference in session.execute(
                select(models.ClosureRequest.line_id, models.ClosureRequest.reference)
                .where(
                    models.ClosureRequest.line_id.between(first, last),
                    models.ClosureRequest.status.in_([s.value for s in OPEN_STATES]),
                )
                .order_by(models.ClosureRequest.line_id, models.ClosureRequest.id)
            )
        ]
    )
    for row in lines:
        line_id = row[0]
        yield f.LineFacts(
            msisdn=row[1],
            kind=f.LineKind(row[2]),
            payment=f.PaymentMode(row[3]),
            status=f.LineStatus(row[4]),
            currency=row[5],
            monthly_fee_minor=row[6],
            billing_day=row[7],
            paid_credit_minor=row[8],
            promo_credit_minor=row[9],
            unbilled_usage_minor=row[10],
            unpaid_bills=tuple(bills.get(line_id, ())),
            contract=contracts.get(line_id),
            active_bindings=tuple(bindings.get(line_id, ())),
            legal_hold=row[11],
            lost_reported=row[12],
            open_orders=tuple(orders.get(line_id, ())),
            fleet=row[13] is not None,
        )


def bulk_precheck(
    session: Session,
    deps: Deps,
    operator: models.Operator,
    fleet_account: str | None = None,
    identity_methods: frozenset[f.IdentityMethod] = frozenset(),
) -> Iterator[LineVerdict]:
    """Evaluate every active line of an operator (or of one fleet) as a closure today, with
    the facts and rules of the single-line precheck."""
    profile = profile_of(operator)
    calendar = calendar_for(session, profile)
    today = local_today(profile, deps.clock.now())
    intent = f.ClosureIntent(identity_methods=identity_methods)
    query = (
        select(*_LINE_COLUMNS)
        .where(models.Line.operator_id == operator.id, models.Line.status != LineStatus.CLOSED)
        .order_by(models.Line.id)
    )
    if fleet_account is not None:
        query = query.where(models.Line.fleet_account == fleet_account)
    last_id = 0
    while True:
        lines = list(session.execute(query.where(models.Line.id > last_id).limit(CHUNK)))
        if not lines:
            return
        last_id = lines[-1][0]
        for facts in _facts_of_chunk(session, lines, lines[0][0], last_id):
            yield LineVerdict(facts.msisdn, evaluate(facts, intent, profile, calendar, today))
