"""The agreement's clocks, as pure functions of ``now``: objection windows and breach deadlines.

Art. 28(2) GDPR and DPA-5: under general authorisation a subprocessor change is announced and the
controller may object within the agreement's notice period. Art. 33: the processor notifies the
controller without undue delay (the agreement sets the hours), the controller notifies its
supervisory authority within 72 hours of being notified, or explains why not or why late.
"""

import calendar
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from services.agreements.domain import AgreementRuleBroken, Authorisation, StateConflict
from shared.moments import as_utc

AUTHORITY_HOURS = 72


class NoticeDecision(StrEnum):
    """Where a controller stands on one subprocessor change for one agreement."""

    pending = "pending"
    approved = "approved"
    objected = "objected"
    accepted = "accepted"  # silence at the deadline, where the agreement says so
    withdrawn = "withdrawn"  # the processor withdrew the change


AGREED = frozenset({NoticeDecision.approved, NoticeDecision.accepted})


def authorised(
    *, withdrawn: bool, listed_at_signing: bool, decision: NoticeDecision | None
) -> bool:
    """Whether a subprocessor change holds for one agreement (DPA-5), from its own controller.

    It does when the version that controller signed listed it, or when that controller agreed to
    it under this agreement (approved, or silence where the agreement deems it acceptance). What
    other controllers decided never counts; a withdrawn change holds nowhere.
    """
    if withdrawn:
        return False
    return listed_at_signing or decision in AGREED


def objection_deadline(
    *, notified_at: datetime, authorisation: Authorisation, notice_days: int
) -> datetime | None:
    """Under general authorisation the controller may object until the notice period ends."""
    if authorisation is Authorisation.specific:
        return None  # nothing takes effect without explicit approval: no window to close
    return as_utc(notified_at) + timedelta(days=notice_days)


def window_open(*, deadline: datetime | None, now: datetime) -> bool:
    return deadline is None or as_utc(now) < as_utc(deadline)


def check_can_object(*, decision: NoticeDecision, deadline: datetime | None, now: datetime) -> None:
    if decision is not NoticeDecision.pending:
        raise StateConflict(f"the change is already {decision} for this agreement")
    if not window_open(deadline=deadline, now=now):
        raise StateConflict("the objection window has closed")


def check_can_approve(*, decision: NoticeDecision) -> None:
    """Approval is possible while pending, and lifts an objection (the controller withdraws it)."""
    if decision not in {NoticeDecision.pending, NoticeDecision.objected}:
        raise StateConflict(f"the change is already {decision} for this agreement")


def decision_at_deadline(
    *,
    decision: NoticeDecision,
    deadline: datetime | None,
    silence_is_acceptance: bool,
    now: datetime,
) -> NoticeDecision | None:
    """What silence means once the window has closed; None while nothing is due.

    Returns ``accepted`` where the agreement deems silence acceptance, ``pending`` (still waiting
    for an explicit approval, the window now closed) where it does not.
    """
    if decision is not NoticeDecision.pending or window_open(deadline=deadline, now=now):
        return None
    return NoticeDecision.accepted if silence_is_acceptance else NoticeDecision.pending


def processor_deadline(*, aware_at: datetime, notice_hours: int) -> datetime:
    """By when the processor must notify the controller, per the agreement (art. 33(2))."""
    return as_utc(aware_at) + timedelta(hours=notice_hours)


def authority_deadline(*, notified_at: datetime) -> datetime:
    """The controller's 72 hours run from when the processor notified it (art. 33(1))."""
    return as_utc(notified_at) + timedelta(hours=AUTHORITY_HOURS)


def is_late(*, done_at: datetime, deadline: datetime) -> bool:
    return as_utc(done_at) > as_utc(deadline)


def check_authority_notification(
    *,
    notified_authority: bool,
    notified_at: datetime | None,
    reason: str | None,
    deadline: datetime,
    aware_at: datetime,
    now: datetime,
) -> bool:
    """Validate the controller's record; returns whether the notification was late."""
    if not notified_authority:
        if not reason:
            raise AgreementRuleBroken("give the reason why the authority is not notified")
        return False
    if notified_at is None:
        raise AgreementRuleBroken("give notified_at: when the authority was notified")
    if as_utc(notified_at) > as_utc(now):
        raise AgreementRuleBroken("notified_at lies in the future")
    if as_utc(notified_at) < as_utc(aware_at):
        raise AgreementRuleBroken("notified_at lies before the breach became known")
    late = is_late(done_at=notified_at, deadline=deadline)
    if late and not reason:
        raise AgreementRuleBroken("the notification was later than 72 hours: give the reason")
    return late


def check_aware_at(*, aware_at: datetime, now: datetime) -> None:
    if as_utc(aware_at) > as_utc(now):
        raise AgreementRuleBroken("aware_at lies in the future")


def pseudonym(record_id: object) -> str:
    """What replaces a name: stable per record, says nothing about the person."""
    return f"pseudonym-{str(record_id)[:8]}"


# DPA-15, art. 28(3)(e): a data subject's request that reaches the processor is forwarded to the
# controller, and the processor's assistance is due within a number of working days (the
# contract names none; the service's setting, default 5). The controller itself answers the data
# subject within one month of receipt (art. 12(3) GDPR). A working day is Monday to Friday in
# Brussels, not a Belgian federal public holiday.
BRUSSELS = ZoneInfo("Europe/Brussels")
WEEKEND = frozenset({5, 6})  # Saturday, Sunday
# The fixed Belgian public holidays (month, day): New Year, Labour Day, the national holiday,
# Assumption, All Saints, Armistice, Christmas. Easter Monday, Ascension and Whit Monday move.
FIXED_HOLIDAYS = ((1, 1), (5, 1), (7, 21), (8, 15), (11, 1), (11, 11), (12, 25))
EASTER_OFFSETS = (1, 39, 50)  # Easter Monday, Ascension Day, Whit Monday: days after Easter


def easter(year: int) -> date:
    """Easter Sunday of ``year`` in the Gregorian calendar (the anonymous Gregorian algorithm,
    also known as Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


def public_holidays(year: int) -> frozenset[date]:
    """The ten Belgian federal public holidays of ``year`` (Royal Decree of 18 April 1974)."""
    sunday = easter(year)
    return frozenset(
        {date(year, month, day) for month, day in FIXED_HOLIDAYS}
        | {sunday + timedelta(days=offset) for offset in EASTER_OFFSETS}
    )


def is_working_day(day: date) -> bool:
    """Monday to Friday, and not a Belgian public holiday."""
    return day.weekday() not in WEEKEND and day not in public_holidays(day.year)


def working_days_after(start: datetime, days: int) -> datetime:
    """The same time of day ``days`` working days (Monday to Friday in Brussels, Belgian public
    holidays excepted) later."""
    if days < 0:
        raise AgreementRuleBroken("days: a number of working days is not negative")
    moment = as_utc(start).astimezone(BRUSSELS)
    left = days
    while left:
        moment += timedelta(days=1)
        if is_working_day(moment.date()):
            left -= 1
    return moment.astimezone(UTC)


def month_after(start: datetime) -> datetime:
    """One calendar month later (the last day of a shorter month), art. 12(3) GDPR."""
    moment = as_utc(start)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    last = calendar.monthrange(year, month)[1]
    return moment.replace(year=year, month=month, day=min(moment.day, last))
