"""Annex 1's categories of personal data and their retention periods (TOM-T1, DPA-4b), as pure
rules: what a record that may name data subjects may say it concerns.

A data subject's request (DPA-15) or an assistance request (DPA-16, DPA-19) names the categories
of the agreement's Annex 1 it concerns; their periods decide how long its free text is kept
(``services/agreements/retention``). Readable by someone who knows the GDPR and not the stack:
no framework imports.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from services.agreements.domain import AgreementRuleBroken


@dataclass(frozen=True)
class Period:
    """One Annex 1 category and how long its data is kept."""

    category: str
    days: int | None  # None when Annex 1 says it in words only (retention_note), or not at all
    note: str | None = None


def periods_of(annex1: Mapping[str, object]) -> dict[str, Period]:
    """The categories of an Annex 1 (as stored) with their periods, in Annex 1's order."""
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


def named_in(words: Iterable[str], annex: Mapping[str, Period]) -> list[str]:
    """The Annex 1 categories that free words name (a breach report's categories), matched as
    breaches are matched to agreements: case- and space-insensitive."""
    wanted = {" ".join(word.lower().split()) for word in words}
    return [name for name in annex if " ".join(name.lower().split()) in wanted]
