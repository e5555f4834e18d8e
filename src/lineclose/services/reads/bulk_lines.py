"""Operators and their fleets, as the CLI's bulk and token commands address them."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.errors import NotFound

Operator = models.Operator


def operator_by_code(session: Session, code: str) -> Operator:
    operator = session.execute(
        select(models.Operator).where(models.Operator.code == code)
    ).scalar_one_or_none()
    if operator is None:
        raise NotFound(f"no operator with code {code!r}", code="unknown_operator")
    return operator


def lines_in_service(session: Session, operator_id: int, fleet: str | None) -> int:
    """How many of the operator's lines (of one fleet, when named) are not closed."""
    query = select(func.count(models.Line.id)).where(
        models.Line.operator_id == operator_id, models.Line.status != "closed"
    )
    if fleet:
        query = query.where(models.Line.fleet_account == fleet)
    return int(session.execute(query).scalar_one())


def active_fleet_numbers(session: Session, operator_id: int, fleet: str) -> list[str]:
    """The numbers of a fleet's active lines, in line order, for a bulk closure."""
    return list(
        session.execute(
            select(models.Line.msisdn)
            .where(
                models.Line.operator_id == operator_id,
                models.Line.fleet_account == fleet,
                models.Line.status == "active",
            )
            .order_by(models.Line.id)
        ).scalars()
    )
