"""Retention that follows Annex 1 (TOM-T1, TOM-32a, DPA-4b), as pure rules.

Annex 1 names the categories of personal data the processor handles and how long each is kept.
A record that may hold a data subject's data in free text (a data subject's request, DPA-15; a
DPIA, prior-consultation or claim question and its answer, DPA-16, DPA-19) says which of those
categories it concerns. Its free text is kept for the longest period among its categories,
counted from the record's end (the controller's closure, the processor's answer); a category
whose Annex 1 gives no period in days, or no longer lists it, keeps the service's fallback period.
Then the free text is deleted, once; the record's facts (its number, kind, dates, outcome) stay,
no longer about anyone. Readable by someone who knows the GDPR and not the stack: no framework.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.agreements.domain import AgreementRuleBroken


@dataclass(frozen=True)
class Period:
    """One Annex 1 category and how long its data is kept."""

    category: str
    days: int | None  # None when Annex 1 says it in words only (retention_note), or not at all
    note: str | None = None


def periods_of(annex1: Mapping[str, object]) -> dict[str, Period]:
    """The categories of a signed Annex 1 (as stored) with their periods, in Annex 1's order."""
    found: dict[str, Period] = {}
    categories = annex1.get("data_categories")
    for entry in categories if isinstance(categories, list) else []:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            continue
        days = entry.get("retention_days")
        note = entry.get("retention_note")
        found[entry["name"]] = Period(
            category=entry["name"],
            days=days if isinstance(days, int) else None,
            note=note if isinstance(note, str) and note else None,
        )
    return found


def categories_of(chosen: Iterable[str] | None, annex: Mapping[str, Period]) -> list[str]:
    """The categories a new record concerns. Named ones must be in the agreement's Annex 1;
    none named means every category of the Annex (with one category, that one): the record is
    then kept as long as the longest of them, never shorter than it may need."""
    if chosen is None:
        return list(annex)
    named = list(dict.fromkeys(chosen))
    if any(category not in annex for category in named):
        allowed = ", ".join(annex) or "none"
        raise AgreementRuleBroken(
            f"data_categories: each must be a category of the agreement's Annex 1 (here: {allowed})"
        )
    return named


def kept_days(categories: Iterable[str], annex: Mapping[str, Period], fallback_days: int) -> int:
    """How long a record of these categories keeps its free text: the longest of their periods,
    a category without one counting as the fallback; no categories at all, the fallback."""
    days = [_days(category, annex, fallback_days) for category in categories]
    return max(days, default=fallback_days)


def _days(category: str, annex: Mapping[str, Period], fallback_days: int) -> int:
    period = annex.get(category)
    return period.days if period is not None and period.days is not None else fallback_days


def due_at(ended_at: datetime | None, days: int) -> datetime | None:
    """When the free text of a record that ended at ``ended_at`` is deleted; None while open."""
    return None if ended_at is None else ended_at + timedelta(days=days)


def is_due(ended_at: datetime | None, days: int, now: datetime) -> bool:
    moment = due_at(ended_at, days)
    return moment is not None and moment <= now
