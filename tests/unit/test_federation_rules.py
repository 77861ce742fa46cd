"""The pure rules of an organisation's own identity provider (services/identity/
federation_rules.py): whose address a provider may vouch for, and when its sign-in counts as
multi-factor (TOM-T2b)."""

import pytest

from services.identity.domain import IdentityRuleBroken
from services.identity.federation_rules import (
    Assertion,
    Connection,
    check_domains,
    check_issuer,
    counts_as_mfa,
    session_methods,
    verified_address,
)

EID = "urn:be:fedict:iam:fas:Level500"
GEMEENTE = Connection(
    allowed_domains=("gemeente.be",), just_in_time=False, mfa_acr=(EID,), mfa_amr=("mfa",)
)


def said(
    email: str | None, *, verified: bool = True, acr: str | None = None, amr: tuple[str, ...] = ()
) -> Assertion:
    return Assertion(email=email, email_verified=verified, acr=acr, amr=amr)


def test_only_a_verified_address_in_an_allowed_domain_is_matched() -> None:
    assert verified_address(said("An.Peeters@Gemeente.be"), GEMEENTE) == "an.peeters@gemeente.be"
    assert verified_address(said("an@gemeente.be", verified=False), GEMEENTE) is None
    assert verified_address(said("an@sub.gemeente.be"), GEMEENTE) is None  # no subdomains
    assert verified_address(said("an@gemeente.be.evil.example"), GEMEENTE) is None
    assert verified_address(said("@gemeente.be"), GEMEENTE) is None
    assert verified_address(said(None), GEMEENTE) is None


def test_the_configured_acr_or_amr_counts_as_a_second_factor__TOM_T2b() -> None:
    assert counts_as_mfa(said("an@gemeente.be", acr=EID), GEMEENTE)
    assert counts_as_mfa(said("an@gemeente.be", amr=("pwd", "mfa")), GEMEENTE)
    assert not counts_as_mfa(said("an@gemeente.be", acr="urn:be:fedict:iam:fas:Level100"), GEMEENTE)
    assert not counts_as_mfa(said("an@gemeente.be", amr=("pwd",)), GEMEENTE)
    assert session_methods(said("an@gemeente.be", acr=EID), GEMEENTE) == ["fed", "mfa"]
    assert session_methods(said("an@gemeente.be"), GEMEENTE) == ["fed"]


@pytest.mark.parametrize("domains", [[], ["not a domain"], ["gemeente"], ["x@gemeente.be"]])
def test_a_list_of_domains_that_is_not_one_is_refused(domains: list[str]) -> None:
    with pytest.raises(IdentityRuleBroken, match="allowed_domains"):
        check_domains(domains)


def test_an_issuer_is_https_without_query_fragment_or_user_outside_development() -> None:
    assert check_issuer("https://login.gemeente.be/realms/staff", allow_http=False)
    for issuer in (
        "http://login.gemeente.be",
        "https://login.gemeente.be/?realm=x",
        "https://user:pw@login.gemeente.be",
        "ftp://login.gemeente.be",
    ):
        with pytest.raises(IdentityRuleBroken):
            check_issuer(issuer, allow_http=False)
    assert check_issuer("http://127.0.0.1:9000", allow_http=True)
