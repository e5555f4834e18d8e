"""Calendar overrides over the API, for admins."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from lineclose.services.access import Action
from lineclose.services.calendars import DayOverride, list_days, set_days
from lineclose.services.context import Actor
from lineclose.web.api.bounds import CalendarYearQuery
from lineclose.web.api.deps import DepsDep, SessionDep, may
from lineclose.web.api.schemas import problems

router = APIRouter(prefix="/api/v1/calendars", tags=["calendars"])
Admin = Annotated[Actor, may(Action.MANAGE_CALENDARS)]


class DayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    day: date
    working: bool
    note: str = Field(default="", max_length=200)


class DaysIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: list[DayIn] = Field(min_length=1, max_length=400)


class DayOut(BaseModel):
    day: str
    working: bool
    note: str


class OverridesOut(BaseModel):
    country: str
    days: list[DayOut]


class ChangedOut(BaseModel):
    country: str
    changed: int


@router.get("/{country}", response_model=OverridesOut, responses=problems(401, 403, 422))
def get_overrides(
    country: str, session: SessionDep, actor: Admin, year: CalendarYearQuery = None
) -> OverridesOut:
    days = list_days(session, actor, country, year)
    return OverridesOut(
        country=country.upper(),
        days=[DayOut(day=d.day.isoformat(), working=d.working, note=d.note) for d in days],
    )


@router.put("/{country}", response_model=ChangedOut, responses=problems(401, 403, 422))
def put_overrides(
    country: str, body: DaysIn, session: SessionDep, deps: DepsDep, actor: Admin
) -> ChangedOut:
    """Declare days off and adjusted working days; they win over the calendar libraries."""
    count = set_days(
        session, deps, actor, country, [DayOverride(d.day, d.working, d.note) for d in body.days]
    )
    session.commit()
    return ChangedOut(country=country.upper(), changed=count)
