"""Working days as the agreement counts them (DPA-15): Monday to Friday in Brussels, Belgian
federal public holidays excepted, with Easter computed in pure code (no calendar dependency)."""

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.agreements import clocks


@pytest.mark.parametrize(
    ("year", "sunday"),
    [
        (2000, date(2000, 4, 23)),
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2038, date(2038, 4, 25)),  # the latest date Easter can fall on
        (2285, date(2285, 3, 22)),  # the earliest
    ],
)
def test_easter_falls_on_its_known_dates(year: int, sunday: date) -> None:
    assert clocks.easter(year) == sunday


@given(st.integers(min_value=1583, max_value=4099))
def test_easter_is_a_sunday_between_22_march_and_25_april(year: int) -> None:
    sunday = clocks.easter(year)
    assert sunday.weekday() == 6
    assert date(year, 3, 22) <= sunday <= date(year, 4, 25)


def test_the_ten_belgian_public_holidays_of_2026() -> None:
    assert sorted(clocks.public_holidays(2026)) == [
        date(2026, 1, 1),  # New Year
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 1),  # Labour Day
        date(2026, 5, 14),  # Ascension Day
        date(2026, 5, 25),  # Whit Monday
        date(2026, 7, 21),  # national holiday
        date(2026, 8, 15),  # Assumption
        date(2026, 11, 1),  # All Saints
        date(2026, 11, 11),  # Armistice
        date(2026, 12, 25),  # Christmas
    ]
    assert {date(2027, 3, 29), date(2027, 5, 6), date(2027, 5, 17)} <= clocks.public_holidays(2027)


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # Friday before Easter 2026: Monday 6 April is Easter Monday
        (datetime(2026, 4, 3, 15, tzinfo=UTC), 1, datetime(2026, 4, 7, 15, tzinfo=UTC)),
        # Wednesday before Ascension Day, Thursday 14 May 2026
        (datetime(2026, 5, 13, 8, tzinfo=UTC), 1, datetime(2026, 5, 15, 8, tzinfo=UTC)),
        # Monday 20 July 2026: the national holiday is Tuesday 21 July
        (datetime(2026, 7, 20, 8, tzinfo=UTC), 5, datetime(2026, 7, 28, 8, tzinfo=UTC)),
        # Christmas Eve 2026 is a Thursday: Friday is Christmas, then the weekend
        (datetime(2026, 12, 24, 15, tzinfo=UTC), 1, datetime(2026, 12, 28, 15, tzinfo=UTC)),
        # across New Year: 31 December 2026 is a Thursday, 1 January 2027 a Friday
        (datetime(2026, 12, 31, 15, tzinfo=UTC), 1, datetime(2027, 1, 4, 15, tzinfo=UTC)),
        # Easter 2027 is 28 March: Monday 29 March is no working day
        (datetime(2027, 3, 26, 9, tzinfo=UTC), 5, datetime(2027, 4, 5, 8, tzinfo=UTC)),
    ],
)
def test_dpa_15_a_working_day_deadline_skips_belgian_public_holidays(
    start: datetime, days: int, due: datetime
) -> None:
    assert clocks.working_days_after(start, days) == due


@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1)),
    st.integers(min_value=1, max_value=30),
)
def test_dpa_15_a_working_day_deadline_never_falls_on_a_holiday_or_a_weekend(
    start: datetime, days: int
) -> None:
    due = clocks.working_days_after(start.replace(tzinfo=UTC), days).astimezone(clocks.BRUSSELS)
    assert clocks.is_working_day(due.date())
