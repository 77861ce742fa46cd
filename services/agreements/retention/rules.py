"""Retention that follows Annex 1 (TOM-T1, TOM-32a, DPA-4b), as pure rules.

Annex 1 names the categories of personal data the processor handles and how long each is kept.
A record that may hold a data subject's data in free text (a data subject's request, DPA-15; a
DPIA, prior-consultation or claim question and its answer, DPA-16, DPA-19) says which of those
categories it concerns (``lifecycle.annex1``). Its free text is kept for the longest period
among its categories, counted from the record's end (the controller's closure, the processor's
answer); a category whose Annex 1 gives no period in days, or no longer lists it, keeps the
service's fallback period. Then the free text is deleted, once; the record's facts (its number,
kind, dates, outcome) stay, no longer about anyone. Readable by someone who knows the GDPR and
not the stack: no framework imports.
"""

from datetime import datetime, timedelta


def due_at(ended_at: datetime | None, days: int) -> datetime | None:
    """When the free text of a record that ended at ``ended_at`` is deleted; None while open."""
    return None if ended_at is None else ended_at + timedelta(days=days)


def is_due(ended_at: datetime | None, days: int, now: datetime) -> bool:
    moment = due_at(ended_at, days)
    return moment is not None and moment <= now
