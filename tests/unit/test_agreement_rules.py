"""Pure rules of an agreement."""

import pytest

from services.agreements.domain import AgreementRuleBroken, check_counterparty, normalise_title


def test_title_whitespace_is_collapsed() -> None:
    assert normalise_title("  Verwerkersovereenkomst \n UTOPIA ") == "Verwerkersovereenkomst UTOPIA"


def test_blank_title_is_refused() -> None:
    with pytest.raises(AgreementRuleBroken):
        normalise_title(" \t\n")


def test_an_agreement_binds_two_different_organisations() -> None:
    check_counterparty(own_organisation="a", counterparty="b")
    check_counterparty(own_organisation="a", counterparty=None)
    with pytest.raises(AgreementRuleBroken, match="another organisation"):
        check_counterparty(own_organisation="a", counterparty="a")
