"""Termination orders as a caller may read them: one, or a filtered, paginated list (TMF630).

Subscribers read their own orders; staff and other systems bound to an operator read that
operator's; unbound staff read every operator's. Filters: `id`, `state`, `externalId` and
`orderDate` (with `.gt`, `.gte`, `.lt`, `.lte`, or a bare date for that UTC day) in SQL; any
other first-level attribute of ProductOrder by equality on the rendered order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.db.models_tmf622 import TmfProductOrder
from lineclose.errors import NotFound
from lineclose.services.context import Actor, Deps, Role
from lineclose.services.tmf622.errors import bad_request
from lineclose.services.tmf622.views import STATE, order_view, select_fields, statuses_for

SQL_FILTERS = frozenset({"id", "state", "externalId"})
DATE_OPERATORS = ("gt", "gte", "lt", "lte")
MAX_LIMIT = 1000


def _readable(actor: Actor) -> Select[TmfProductOrder, models.ClosureRequest]:
    statement = select(TmfProductOrder, models.ClosureRequest).join(
        models.ClosureRequest, models.ClosureRequest.id == TmfProductOrder.request_id
    )
    if actor.role is Role.SUBSCRIBER:
        return statement.where(TmfProductOrder.subscriber_id == actor.subscriber_id)
    if actor.operator_id is not None:
        return statement.where(TmfProductOrder.operator_id == actor.operator_id)
    return statement


def find_order(
    session: Session, deps: Deps, actor: Actor, reference: str
) -> tuple[TmfProductOrder, models.ClosureRequest]:
    """The order, or 404 alike for one that does not exist and one the caller may not read."""
    found = session.execute(
        _readable(actor).where(models.ClosureRequest.reference == reference.strip().upper())
    ).first()
    if found is None:
        raise NotFound("no product order with this id", code="notFound")
    return found[0], found[1]


def get_order(
    session: Session, deps: Deps, actor: Actor, reference: str, fields: list[str] | None
) -> dict[str, Any]:
    order, request = find_order(session, deps, actor, reference)
    return select_fields(order_view(deps, order, request), fields)


def _instant(raw: str, name: str) -> tuple[datetime, datetime]:
    """A filter value as the span it names: a date is its whole UTC day."""
    try:
        if "T" in raw:
            at = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            at = at if at.tzinfo else at.replace(tzinfo=UTC)
            return at, at + timedelta(microseconds=1)
        day = date.fromisoformat(raw)
    except ValueError:
        raise bad_request(
            "invalidFilter", f"{name} must be an RFC 3339 date or date-time"
        ) from None
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


def _apply_sql(statement: Any, name: str, value: str) -> Any:
    column = TmfProductOrder.created_at
    if name == "id":
        return statement.where(models.ClosureRequest.reference.in_(value.upper().split(",")))
    if name == "externalId":
        return statement.where(TmfProductOrder.external_id.in_(value.split(",")))
    if name == "state":
        wanted = value.split(",")
        unknown = (
            set(wanted)
            - set(STATE.values())
            - {"rejected", "failed", "partial", "assessingCancellation", "pendingCancellation"}
        )
        if unknown:
            raise bad_request("invalidFilter", f"unknown state {sorted(unknown)}")
        statuses = [s for state in wanted for s in statuses_for(state)]
        return statement.where(models.ClosureRequest.status.in_(statuses))
    if name == "orderDate":
        start, end = _instant(value, name)
        return statement.where(column >= start, column < end)
    operator = name.split(".", 1)[1]
    start, end = _instant(value, name)
    conditions = {
        "gt": column >= end,
        "gte": column >= start,
        "lt": column < start,
        "lte": column < end,
    }
    return statement.where(conditions[operator])


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int


def list_orders(
    session: Session,
    deps: Deps,
    actor: Actor,
    filters: dict[str, str],
    fields: list[str] | None,
    offset: int,
    limit: int,
    attributes: frozenset[str],
) -> Page:
    """`attributes`: the first-level attributes of ProductOrder (from the specification)."""
    if offset < 0 or not 1 <= limit <= MAX_LIMIT:
        raise bad_request("invalidPagination", f"offset >= 0 and 1 <= limit <= {MAX_LIMIT}")
    statement: Any = _readable(actor)
    in_memory: dict[str, str] = {}
    for name, value in filters.items():
        base, _, operator = name.partition(".")
        if name in SQL_FILTERS or (base == "orderDate" and operator in ("", *DATE_OPERATORS)):
            statement = _apply_sql(statement, name, value)
        elif name in attributes:
            in_memory[name] = value
        else:
            raise bad_request("invalidFilter", f"{name!r} is not an attribute of ProductOrder")
    statement = statement.order_by(TmfProductOrder.created_at.desc(), TmfProductOrder.id.desc())
    if not in_memory:
        total = session.execute(
            select(func.count()).select_from(statement.order_by(None).subquery())
        ).scalar_one()
        rows = session.execute(statement.offset(offset).limit(limit)).all()
        views = [order_view(deps, o, r) for o, r in rows]
        return Page([select_fields(v, fields) for v in views], int(total))
    views = [order_view(deps, o, r) for o, r in session.execute(statement).all()]
    kept = [
        v for v in views if all(str(v.get(k)) in value.split(",") for k, value in in_memory.items())
    ]
    return Page([select_fields(v, fields) for v in kept[offset : offset + limit]], len(kept))
