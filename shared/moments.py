"""Moments in time as the platform keeps them: aware, in UTC.

Every service writes its moments in UTC; SQLite hands them back without their offset. One rule
reads them back, instead of a fix-up in each place that compares or shows a moment.
"""

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC moment: a naive one is taken as UTC (as stored)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
