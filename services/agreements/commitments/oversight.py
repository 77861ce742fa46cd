"""The controller's side of art. 6 of the contract (DPA-18), as pure rules.

The controller, too, takes measures, and it "ziet erop toe" that the processor's Annex 2
measures are in place: it reviews a measure on a date, records what it found and the follow-up it
asks of the processor by a due date, and closes the review once the follow-up is done. Annex 2 is
"op het risico afgestemd": a recorded risk assessment names the risks of the processing, how
likely and how grave each is, and which Annex 2 measures address it. Readable by someone who
knows the GDPR and not the stack: no framework imports.
"""

from collections.abc import Iterable, Sequence
from datetime import date
from enum import StrEnum

from services.agreements.domain import AgreementRuleBroken, StateConflict


class Rating(StrEnum):
    """How likely a risk is, or how grave its impact on the data subjects would be."""

    low = "low"
    medium = "medium"
    high = "high"


_WEIGHT = {Rating.low: 1, Rating.medium: 2, Rating.high: 3}


def risk_level(*, likelihood: Rating, impact: Rating) -> Rating:
    """The level of a risk from its likelihood and impact (a 3 x 3 matrix): high when the
    product reaches 6, medium from 3, low below."""
    score = _WEIGHT[likelihood] * _WEIGHT[impact]
    if score >= 6:
        return Rating.high
    if score >= 3:
        return Rating.medium
    return Rating.low


def unaddressed(risks: Sequence[Iterable[str]]) -> list[int]:
    """The positions (from 1) of the risks no measure addresses: the gaps in Annex 2."""
    return [number for number, measures in enumerate(risks, start=1) if not list(measures)]


def check_measures_known(measure_ids: Iterable[str], known: Iterable[str]) -> None:
    unknown = sorted(set(measure_ids) - set(known))
    if unknown:
        raise AgreementRuleBroken(f"measure_ids: {', '.join(unknown)} are not measures of Annex 2")


def check_not_in_future(field: str, day: date, *, today: date) -> None:
    if day > today:
        raise AgreementRuleBroken(f"{field}: a review cannot take place in the future")


def check_follow_up(*, follow_up: str | None, due_on: date | None, reviewed_on: date) -> None:
    """A follow-up action has a due date, and a due date belongs to a follow-up action on or
    after the review."""
    if (follow_up is None) != (due_on is None):
        raise AgreementRuleBroken(
            "follow_up_due_on: give a follow-up action and the date it is due together"
        )
    if due_on is not None and due_on < reviewed_on:
        raise AgreementRuleBroken("follow_up_due_on: the follow-up cannot be due before the review")


def check_can_close(*, closed: bool) -> None:
    if closed:
        raise StateConflict("this review is already closed")
