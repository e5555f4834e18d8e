"""Facts for many lines at once: a handful of queries per chunk instead of several per line."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.domain import facts as f
from lineclose.domain.states import OPEN_STATES
from lineclose.services.lines import build_facts, contract_facts

T = TypeVar("T")


def _grouped(rows: list[tuple[int, T]]) -> dict[int, list[T]]:
    grouped: dict[int, list[T]] = defaultdict(list)
    for line_id, item in rows:
        grouped[line_id].append(item)
    return grouped


def facts_for(session: Session, lines: Sequence[models.Line]) -> dict[int, f.LineFacts]:
    ids = [line.id for line in lines]
    bills = _grouped(
        [
            (b.line_id, f.UnpaidBill(b.id, b.amount_minor, b.due_on))
            for b in session.execute(
                select(models.Bill).where(
                    models.Bill.line_id.in_(ids), models.Bill.paid_at.is_(None)
                )
            ).scalars()
        ]
    )
    contracts = {
        c.line_id: contract_facts(c)
        for c in session.execute(
            select(models.Contract).where(models.Contract.line_id.in_(ids))
        ).scalars()
    }
    bindings = _grouped(
        [
            (b.line_id, f.Binding(b.id, b.service, b.category))
            for b in session.execute(
                select(models.Binding).where(
                    models.Binding.line_id.in_(ids), models.Binding.unbound_on.is_(None)
                )
            ).scalars()
        ]
    )
    orders = _grouped(
        [
            (line_id, f.OpenOrder(kind, reference))
            for line_id, kind, reference in session.execute(
                select(
                    models.OpenOrder.line_id, models.OpenOrder.kind, models.OpenOrder.reference
                ).where(models.OpenOrder.line_id.in_(ids), models.OpenOrder.status == "open")
            ).all()
        ]
        + [
            (line_id, f.OpenOrder("closure", reference))
            for line_id, reference in session.execute(
                select(models.ClosureRequest.line_id, models.ClosureRequest.reference).where(
                    models.ClosureRequest.line_id.in_(ids),
                    models.ClosureRequest.status.in_([s.value for s in OPEN_STATES]),
                )
            ).all()
        ]
    )
    return {
        line.id: build_facts(
            line,
            tuple(bills.get(line.id, ())),
            contracts.get(line.id),
            tuple(bindings.get(line.id, ())),
            tuple(orders.get(line.id, ())),
        )
        for line in lines
    }
