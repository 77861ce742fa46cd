"""The evidence pack's period (DPA-11): whole days in Brussels, both included, the right way round,
at most three years; the last twelve months when none is given."""

from datetime import UTC, date, datetime

import pytest

from services.console.agreements.evidence import BadPeriod, period_of


def test_the_period_is_whole_brussels_days_both_included__DPA_11() -> None:
    period = period_of("2026-01-01", "2026-07-31", today=date(2026, 12, 7))
    assert period.since == datetime(2025, 12, 31, 23, 0, tzinfo=UTC)  # winter: UTC+1
    assert period.until == datetime(2026, 7, 31, 22, 0, tzinfo=UTC)  # summer: UTC+2
    assert period.holds("2026-07-31T21:59:59Z")
    assert not period.holds("2026-07-31T22:00:00+00:00")
    assert not period.holds(None)


def test_no_dates_mean_the_last_twelve_months() -> None:
    period = period_of("", "", today=date(2026, 12, 7))
    assert (period.first, period.last) == (date(2025, 12, 7), date(2026, 12, 7))


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("2026-02-01", "2026-01-01", "start on or before"),
        ("31/01/2026", "", "as on a calendar"),
        ("2020-01-01", "2026-01-01", "at most three years"),
    ],
)
def test_a_wrong_period_is_refused_with_what_to_change(first: str, last: str, message: str) -> None:
    with pytest.raises(BadPeriod, match=message):
        period_of(first, last, today=date(2026, 12, 7))
