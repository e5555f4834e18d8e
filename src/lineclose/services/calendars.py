"""Operator-edited working-day calendars: official schedules are published year by year,
so the operator declares days off and adjusted working days the libraries do not know yet."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.errors import Forbidden, InvalidInput
from lineclose.services.context import Actor, Deps
from lineclose.services.lines import profile_of


@dataclass(frozen=True)
class DayOverride:
    day: date
    working: bool
    note: str = ""


def _country(raw: str) -> str:
    country = raw.strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise InvalidInput(
            "country must be a two-letter ISO code such as CN", code="invalid_country"
        )
    return country


def _scoped_country(session: Session, actor: Actor, raw: str) -> str:
    """An admin bound to an operator edits and reads only the calendar of that operator's
    country: the overrides move review deadlines of every operator in it."""
    code = _country(raw)
    if actor.operator_id is None:
        return code
    operator = session.get(models.Operator, actor.operator_id)
    if operator is None or profile_of(operator).country != code:
        raise Forbidden(
            "this calendar belongs to another operator's country", code="other_operator"
        )
    return code


def set_days(
    session: Session, deps: Deps, actor: Actor, country: str, days: Iterable[DayOverride]
) -> int:
    """Declare each day a working day or a day off; a later declaration replaces an earlier one."""
    code = _scoped_country(session, actor, country)
    changed = 0
    for item in days:
        row = session.execute(
            select(models.CalendarOverride).where(
                models.CalendarOverride.country == code, models.CalendarOverride.day == item.day
            )
        ).scalar_one_or_none()
        if row is None:
            row = models.CalendarOverride(country=code, day=item.day, working=item.working)
            session.add(row)
        row.working = item.working
        row.note = item.note[:200]
        changed += 1
    audit.append(
        session, deps.clock.now(), actor.label, "calendar.set", "calendar", code, {"days": changed}
    )
    return changed


def list_days(
    session: Session, actor: Actor, country: str, year: int | None = None
) -> list[DayOverride]:
    query = select(models.CalendarOverride).where(
        models.CalendarOverride.country == _scoped_country(session, actor, country)
    )
    if year is not None:
        query = query.where(
            models.CalendarOverride.day >= date(year, 1, 1),
            models.CalendarOverride.day <= date(year, 12, 31),
        )
    return [
        DayOverride(row.day, row.working, row.note)
        for row in session.execute(query.order_by(models.CalendarOverride.day)).scalars()
    ]


def read_schedule(path: Path) -> list[DayOverride]:
    """A CSV of `date,kind[,note]` where kind is `off` or `working` (the official schedule)."""
    days: list[DayOverride] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            if not row or row[0].startswith("#") or row[0].strip() == "date":
                continue
            try:
                day = date.fromisoformat(row[0].strip())
            except ValueError:
                raise InvalidInput(
                    f"line {number}: the date must be YYYY-MM-DD", code="invalid_schedule"
                ) from None
            kind = row[1].strip().lower() if len(row) > 1 else ""
            if kind not in ("off", "working"):
                raise InvalidInput(
                    f"line {number}: the kind must be 'off' or 'working'", code="invalid_schedule"
                )
            note = row[2].strip() if len(row) > 2 else ""
            days.append(DayOverride(day, kind == "working", note))
    return days
