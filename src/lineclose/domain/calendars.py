"""Working days on a jurisdiction's calendar: public holidays, and for China the adjusted working days.

Official schedules are published year by year, so the operator can override any day, and a
year the calendar library does not know yet falls back to `holidays` with a warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar
import holidays


@lru_cache(maxsize=64)
def _public_holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year).keys())


def _chinesecalendar_knows(day: date) -> bool:
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


@dataclass
class WorkingCalendar:
    """`overrides` maps a date to True (a working day) or False (a day off); it wins over the library."""

    country: str
    source: str  # "chinesecalendar" or "holidays"
    overrides: Mapping[date, bool] = field(default_factory=dict)
    fallback_years: set[int] = field(default_factory=set)
    _known: dict[date, bool] = field(default_factory=dict, repr=False)

    def is_working_day(self, day: date) -> bool:
        # Bulk prechecks ask about the same few days for every line: remember the answers.
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._lookup(day)
        return known

    def _lookup(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if self.source == "chinesecalendar":
            if _chinesecalendar_knows(day):
                return bool(chinese_calendar.is_workday(day))
            self.fallback_years.add(day.year)
        return day.weekday() < 5 and day not in _public_holidays(self.country, day.year)

    def add_working_days(self, start: date, count: int) -> date:
        """The date `count` working days after `start` (the start day itself is not counted)."""
        if count < 0:
            raise ValueError("count must not be negative")
        day = start
        remaining = count
        while remaining:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end`."""
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count

    def warnings(self) -> list[str]:
        """Years counted without the official adjusted working days, for the warning shown with a date."""
        return [
            f"the official {self.country} working-day schedule for {year} is not loaded; "
            "counted with public holidays only until the operator loads it"
            for year in sorted(self.fallback_years)
        ]
