"""The controller's oversight rules (DPA-18), pure: a risk's level from its likelihood and
impact, the risks no measure addresses, a follow-up with its due date."""

from datetime import date

import pytest

from services.agreements.commitments.oversight import (
    Rating,
    check_follow_up,
    risk_level,
    unaddressed,
)
from services.agreements.domain import AgreementRuleBroken


@pytest.mark.parametrize(
    ("likelihood", "impact", "level"),
    [
        (Rating.low, Rating.low, Rating.low),
        (Rating.low, Rating.medium, Rating.low),
        (Rating.low, Rating.high, Rating.medium),
        (Rating.medium, Rating.medium, Rating.medium),
        (Rating.medium, Rating.high, Rating.high),
        (Rating.high, Rating.high, Rating.high),
    ],
)
def test_a_risk_level_follows_likelihood_times_impact__DPA_18(
    likelihood: Rating, impact: Rating, level: Rating
) -> None:
    assert risk_level(likelihood=likelihood, impact=impact) is level
    assert risk_level(likelihood=impact, impact=likelihood) is level


def test_the_risks_no_measure_addresses_are_named_from_one__DPA_18() -> None:
    assert unaddressed([["TOM-T5"], [], ["TOM-O1", "TOM-T1"], []]) == [2, 4]


def test_a_follow_up_and_its_due_date_go_together_and_not_before_the_review() -> None:
    check_follow_up(follow_up=None, due_on=None, reviewed_on=date(2026, 12, 1))
    check_follow_up(follow_up="fix", due_on=date(2026, 12, 1), reviewed_on=date(2026, 12, 1))
    with pytest.raises(AgreementRuleBroken, match="together"):
        check_follow_up(follow_up="fix", due_on=None, reviewed_on=date(2026, 12, 1))
    with pytest.raises(AgreementRuleBroken, match="before the review"):
        check_follow_up(follow_up="fix", due_on=date(2026, 11, 30), reviewed_on=date(2026, 12, 1))
