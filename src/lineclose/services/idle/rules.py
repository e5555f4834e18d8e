"""When a line counts as idle, per jurisdiction profile: data, not code.

A line is idle when it pays a recurring fee and has had no usage for `idle_after_months`
months; its subscriber is reminded at most once per period of that many months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class IdleRule:
    idle_after_months: int
    mark: str
    note: str


IDLE_RULES: dict[str, IdleRule] = {
    "cn": IdleRule(3, "practice", "operators flag lines unused for a quarter"),
    "uk": IdleRule(6, "practice", "operator default: half a year without use"),
    "us": IdleRule(6, "practice", "operator default"),
    "ph": IdleRule(3, "practice", "operator default"),
    "eu": IdleRule(6, "practice", "operator default"),
}


def months_before(day: date, months: int) -> date:
    """The same day `months` months earlier, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def period_start(day: date, months: int) -> date:
    """The first day of the reminder period holding `day`: periods of `months` months counted
    from January of year 0, so every sweep in the period finds the same start."""
    index = (day.year * 12 + day.month - 1) // months * months
    year, month = divmod(index, 12)
    return date(year, month + 1, 1)


def whole_months_between(earlier: date, later: date) -> int:
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    if later.day < earlier.day:
        months -= 1
    return max(months, 0)
