"""Working days on a jurisdiction's calendar: holidays, China's adjusted working days, overrides."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lineclose.domain.calendars import WorkingCalendar


def cn_calendar(overrides: Mapping[date, bool] | None = None) -> WorkingCalendar:
    return WorkingCalendar(country="CN", source="chinesecalendar", overrides=overrides or {})


def uk_calendar(overrides: Mapping[date, bool] | None = None) -> WorkingCalendar:
    return WorkingCalendar(country="GB", source="holidays", overrides=overrides or {})


SPRING_FESTIVAL_2026_DAYS_OFF = [date(2026, 2, 15) + timedelta(days=i) for i in range(9)]
SPRING_FESTIVAL_2026_ADJUSTED_SATURDAYS = [date(2026, 2, 14), date(2026, 2, 28)]
NATIONAL_DAY_2026_DAYS_OFF = [date(2026, 10, 1) + timedelta(days=i) for i in range(7)]


# --- The reference package agrees with the dates these tests rely on -------------------------


def test_chinesecalendar_package_publishes_the_2026_spring_festival_schedule() -> None:
    for day in SPRING_FESTIVAL_2026_DAYS_OFF:
        assert chinese_calendar.is_holiday(day), day
    for day in SPRING_FESTIVAL_2026_ADJUSTED_SATURDAYS:
        assert day.weekday() == 5
        assert chinese_calendar.is_workday(day), day
    assert chinese_calendar.is_workday(date(2026, 2, 24))


def test_chinesecalendar_package_does_not_know_2027_yet() -> None:
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 3, 1))


# --- China: the official schedule ----------------------------------------------------------


@pytest.mark.parametrize("day", SPRING_FESTIVAL_2026_DAYS_OFF, ids=str)
def test_spring_festival_2026_days_are_days_off_in_china(day: date) -> None:
    assert not cn_calendar().is_working_day(day)


@pytest.mark.parametrize("day", SPRING_FESTIVAL_2026_ADJUSTED_SATURDAYS, ids=str)
def test_adjusted_saturdays_around_spring_festival_2026_are_working_days(day: date) -> None:
    assert cn_calendar().is_working_day(day)


def test_an_ordinary_weekend_in_china_is_off_and_a_weekday_is_working() -> None:
    calendar = cn_calendar()
    assert not calendar.is_working_day(date(2026, 3, 7))  # Saturday
    assert not calendar.is_working_day(date(2026, 3, 8))  # Sunday
    assert calendar.is_working_day(date(2026, 3, 9))  # Monday
    assert calendar.fallback_years == set()
    assert calendar.warnings() == []


def test_adding_working_days_across_spring_festival_counts_the_adjusted_saturday() -> None:
    calendar = cn_calendar()
    friday = date(2026, 2, 13)
    assert calendar.add_working_days(friday, 1) == date(2026, 2, 14)
    assert calendar.add_working_days(friday, 2) == date(2026, 2, 24)
    assert calendar.add_working_days(friday, 6) == date(2026, 2, 28)
    assert calendar.add_working_days(friday, 7) == date(2026, 3, 2)


def test_adding_working_days_from_inside_the_holiday_skips_the_rest_of_it() -> None:
    assert cn_calendar().add_working_days(date(2026, 2, 17), 1) == date(2026, 2, 24)


def test_working_days_between_counts_across_spring_festival() -> None:
    calendar = cn_calendar()
    # After Friday 13 Feb up to Saturday 28 Feb: 14, 24, 25, 26, 27, 28.
    assert calendar.working_days_between(date(2026, 2, 13), date(2026, 2, 28)) == 6
    assert calendar.working_days_between(date(2026, 2, 14), date(2026, 2, 23)) == 0


@pytest.mark.parametrize("day", NATIONAL_DAY_2026_DAYS_OFF, ids=str)
def test_national_day_2026_days_are_days_off_in_china(day: date) -> None:
    assert not cn_calendar().is_working_day(day)


def test_adding_working_days_across_national_day_2026() -> None:
    calendar = cn_calendar()
    assert calendar.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    # Saturday 10 October 2026 is an adjusted working day; Sunday 11 is off.
    assert calendar.is_working_day(date(2026, 10, 10))
    assert calendar.add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)
    assert calendar.add_working_days(date(2026, 10, 10), 1) == date(2026, 10, 12)
    assert calendar.fallback_years == set()


# --- China: a year the package does not know yet --------------------------------------------


def test_a_2027_date_falls_back_to_public_holidays_and_records_the_year() -> None:
    calendar = cn_calendar()
    assert calendar.is_working_day(date(2027, 3, 1))  # Monday
    assert not calendar.is_working_day(date(2027, 3, 6))  # Saturday
    assert not calendar.is_working_day(date(2027, 1, 1))  # New Year's Day
    assert calendar.fallback_years == {2027}


def test_the_fallback_produces_a_warning_naming_the_year() -> None:
    calendar = cn_calendar()
    calendar.add_working_days(date(2026, 12, 31), 1)
    warnings = calendar.warnings()
    assert len(warnings) == 1
    assert "2027" in warnings[0]
    assert "CN" in warnings[0]


def test_adding_working_days_into_2027_skips_its_public_holidays() -> None:
    calendar = cn_calendar()
    # 1 January 2027 is a Friday holiday; the weekend follows.
    assert calendar.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    # Spring Festival 2027 holidays run 5 to 10 February in the `holidays` package.
    assert calendar.add_working_days(date(2027, 2, 4), 1) == date(2027, 2, 11)


def test_no_fallback_warning_while_the_package_knows_the_year() -> None:
    calendar = cn_calendar()
    calendar.add_working_days(date(2026, 1, 5), 200)
    assert calendar.fallback_years == set()
    assert calendar.warnings() == []


def test_a_holidays_calendar_never_reports_a_fallback() -> None:
    calendar = uk_calendar()
    calendar.add_working_days(date(2030, 1, 1), 10)
    assert calendar.fallback_years == set()
    assert calendar.warnings() == []


# --- Operator overrides ----------------------------------------------------------------------


def test_an_operator_declared_working_day_wins_over_the_official_day_off() -> None:
    calendar = cn_calendar({date(2026, 2, 16): True})
    assert calendar.is_working_day(date(2026, 2, 16))
    assert calendar.add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 16)


def test_an_operator_declared_day_off_wins_over_the_official_working_day() -> None:
    calendar = cn_calendar({date(2026, 2, 14): False, date(2026, 2, 24): False})
    assert not calendar.is_working_day(date(2026, 2, 14))
    assert calendar.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 25)


def test_an_operator_override_covers_a_year_the_package_does_not_know() -> None:
    calendar = cn_calendar({date(2027, 2, 6): True, date(2027, 3, 1): False})
    assert calendar.is_working_day(date(2027, 2, 6))
    assert not calendar.is_working_day(date(2027, 3, 1))


def test_overrides_win_on_a_holidays_calendar_too() -> None:
    calendar = uk_calendar({date(2026, 12, 28): True, date(2026, 12, 29): False})
    assert calendar.is_working_day(date(2026, 12, 28))
    assert not calendar.is_working_day(date(2026, 12, 29))


# --- United Kingdom ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day",
    [date(2026, 12, 25), date(2026, 12, 26), date(2026, 12, 27), date(2026, 12, 28)],
    ids=str,
)
def test_uk_christmas_boxing_day_and_the_substitute_day_are_off(day: date) -> None:
    assert not uk_calendar().is_working_day(day)


def test_uk_adding_working_days_skips_bank_holidays() -> None:
    calendar = uk_calendar()
    assert calendar.add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
    assert calendar.add_working_days(date(2026, 12, 24), 4) == date(2027, 1, 4)  # 1 Jan off
    assert calendar.working_days_between(date(2026, 12, 24), date(2027, 1, 4)) == 4


def test_uk_ordinary_week_has_five_working_days() -> None:
    calendar = uk_calendar()
    assert calendar.working_days_between(date(2026, 3, 8), date(2026, 3, 15)) == 5
    assert calendar.add_working_days(date(2026, 3, 13), 1) == date(2026, 3, 16)


# --- Counting rules ------------------------------------------------------------------------------


@pytest.mark.parametrize("start", [date(2026, 2, 15), date(2026, 3, 9), date(2027, 1, 1)], ids=str)
def test_adding_zero_working_days_returns_the_start_even_on_a_day_off(start: date) -> None:
    assert cn_calendar().add_working_days(start, 0) == start


def test_adding_a_negative_number_of_working_days_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        cn_calendar().add_working_days(date(2026, 3, 9), -1)


def test_working_days_between_a_day_and_itself_or_an_earlier_day_is_zero() -> None:
    calendar = uk_calendar()
    assert calendar.working_days_between(date(2026, 3, 9), date(2026, 3, 9)) == 0
    assert calendar.working_days_between(date(2026, 3, 9), date(2026, 3, 1)) == 0


def test_working_days_between_does_not_count_the_start_but_counts_the_end() -> None:
    calendar = uk_calendar()
    assert calendar.working_days_between(date(2026, 3, 9), date(2026, 3, 10)) == 1


@given(
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 11, 30)),
    count=st.integers(min_value=0, max_value=30),
)
def test_working_days_between_undoes_add_working_days(start: date, count: int) -> None:
    for calendar in (cn_calendar(), uk_calendar()):
        end = calendar.add_working_days(start, count)
        assert calendar.working_days_between(start, end) == count
        if count:
            assert calendar.is_working_day(end)
