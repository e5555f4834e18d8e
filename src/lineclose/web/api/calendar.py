"""Calendar overrides over the API, for admins."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from lineclose.services.calendars import DayOverride, list_days, set_days
from lineclose.services.context import Actor, Role
from lineclose.web.api.bounds import CalendarYearQuery
from lineclose.web.api.deps import DepsDep, SessionDep, allow

router = APIRouter(prefix="/api/v1/calendars", tags=["calendars"])
Admin = Annotated[Actor, allow(Role.ADMIN)]


class DayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    day: date
    working: bool
    note: str = Field(default="", max_length=200)


class DaysIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: list[DayIn] = Field(min_length=1, max_length=400)


@router.get("/{country}")
def get_overrides(
    country: str, session: SessionDep, actor: Admin, year: CalendarYearQuery = None
) -> dict[str, Any]:
    days = list_days(session, country, year)
    return {
        "country": country.upper(),
        "days": [{"day": d.day.isoformat(), "working": d.working, "note": d.note} for d in days],
    }


@router.put("/{country}")
def put_overrides(
    country: str, body: DaysIn, session: SessionDep, deps: DepsDep, actor: Admin
) -> dict[str, Any]:
    """Declare days off and adjusted working days; they win over the calendar libraries."""
    count = set_days(
        session, deps, actor, country, [DayOverride(d.day, d.working, d.note) for d in body.days]
    )
    session.commit()
    return {"country": country.upper(), "changed": count}
