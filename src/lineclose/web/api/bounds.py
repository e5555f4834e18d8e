"""Bounds on numbers and dates the API accepts, so out-of-range input is a 422 naming the field
instead of an overflow deep in a service (a 500).

Database ids are INTEGER columns, 32-bit signed on PostgreSQL (SQLite takes 64 bits, but an id
either database cannot hold names no row); dates must leave room for
the working-day arithmetic that adds review deadlines and aging intervals to them; calendar
years are the range the holiday tables are meaningful for.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

MAX_DB_ID = 2**31 - 1
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2199, 12, 31)
FIRST_CALENDAR_YEAR = 1970
LAST_CALENDAR_YEAR = 2199

DbIdPath = Annotated[int, Path(ge=1, le=MAX_DB_ID, description="a row id (1 to 2^31-1)")]
CalendarYearQuery = Annotated[
    int | None,
    Query(ge=FIRST_CALENDAR_YEAR, le=LAST_CALENDAR_YEAR, description="a calendar year"),
]
BoundedDate = Annotated[
    date, Field(ge=EARLIEST_DATE, le=LATEST_DATE, description="a date from 2000 to 2199")
]
DbIdField = Annotated[int, Field(ge=1, le=MAX_DB_ID)]
