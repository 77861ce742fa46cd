"""An organisation's own identity provider (OpenID Connect federation): the rules, pure.

An organisation's admin connects the provider its staff already sign in with (issuer, client id
and secret, the claim that carries the e-mail address, the e-mail domains it answers for, whether
a person it vouches for may get an account here just in time, and which ``acr``/``amr`` values
mean that the person used a second factor there). Its users then sign in at the provider; this
module decides, from what the provider's signed ID token says, who that is here and whether the
sign-in counts as multi-factor (TOM-T2b): that is how Belgian eID or itsme arrive through a
broker (docs/federation.md).
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from services.identity.domain import IdentityRuleBroken

# The ``amr`` value of a session that began at the organisation's provider (RFC 8176 has none
# for it; ``fed`` is pactum's). With a second factor there, the session's amr is [fed, mfa].
FEDERATED_METHOD = "fed"
MULTI_FACTOR_METHOD = "mfa"

MAX_DOMAINS = 20
MAX_MFA_VALUES = 20
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_CLAIM = re.compile(r"^[A-Za-z0-9_:.\-/]{1,100}$")
_VALUE = re.compile(r"^[\x21-\x7e]{1,200}$")  # acr values are URIs or names; amr values names


def check_issuer(issuer: str, *, allow_http: bool) -> str:
    """An issuer is an https URL without query or fragment (OpenID Connect Discovery 1.0 §2);
    plain http only where ``allow_http`` (development and tests, on the machine itself)."""
    parts = urlsplit(issuer.strip())
    if parts.scheme not in ({"https", "http"} if allow_http else {"https"}):
        raise IdentityRuleBroken("issuer must be an https URL")
    if not parts.hostname or parts.query or parts.fragment or parts.username or parts.password:
        raise IdentityRuleBroken("issuer must be an https URL without query, fragment or user")
    return issuer.strip()


def check_domains(domains: list[str]) -> tuple[str, ...]:
    """The e-mail domains the provider answers for, lower-cased, at least one, no duplicates."""
    cleaned = tuple(dict.fromkeys(domain.strip().lower() for domain in domains))
    if not cleaned:
        raise IdentityRuleBroken("allowed_domains must name at least one e-mail domain")
    if len(cleaned) > MAX_DOMAINS:
        raise IdentityRuleBroken(f"allowed_domains holds at most {MAX_DOMAINS} domains")
    for domain in cleaned:
        if not _DOMAIN.match(domain):
            raise IdentityRuleBroken(
                f"allowed_domains: {domain!r} is not an e-mail domain (example.be)"
            )
    return cleaned


def check_claim(claim: str) -> str:
    if not _CLAIM.match(claim):
        raise IdentityRuleBroken("email_claim must be a claim name such as email")
    return claim


def check_values(values: list[str], *, field: str) -> tuple[str, ...]:
    cleaned = tuple(dict.fromkeys(value.strip() for value in values))
    if len(cleaned) > MAX_MFA_VALUES or not all(_VALUE.match(value) for value in cleaned):
        raise IdentityRuleBroken(
            f"{field} holds at most {MAX_MFA_VALUES} values without spaces or control characters"
        )
    return cleaned


def domain_of(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def address_allowed(email: str, domains: tuple[str, ...]) -> bool:
    """An address whose domain is one the provider answers for (exactly: no subdomains)."""
    local, at, _ = email.partition("@")
    return bool(local) and bool(at) and domain_of(email) in domains


@dataclass(frozen=True)
class Assertion:
    """What a verified ID token says about the person (only the parts decided on here)."""

    email: str | None
    email_verified: bool
    acr: str | None
    amr: tuple[str, ...]


@dataclass(frozen=True)
class Connection:
    """The organisation's configuration of its provider, as the rules need it."""

    allowed_domains: tuple[str, ...]
    just_in_time: bool
    mfa_acr: tuple[str, ...]
    mfa_amr: tuple[str, ...]


def verified_address(assertion: Assertion, connection: Connection) -> str | None:
    """The person's address here: one the provider says it verified, in an allowed domain."""
    if assertion.email is None or not assertion.email_verified:
        return None
    email = assertion.email.strip().lower()
    return email if address_allowed(email, connection.allowed_domains) else None


def counts_as_mfa(assertion: Assertion, connection: Connection) -> bool:
    """The provider's ``acr`` is one configured as multi-factor, or one of its ``amr`` values is
    (eID through a broker arrives as a high acr; a provider's own MFA often as amr ``mfa``)."""
    return (assertion.acr is not None and assertion.acr in connection.mfa_acr) or any(
        method in connection.mfa_amr for method in assertion.amr
    )


def session_methods(assertion: Assertion, connection: Connection) -> list[str]:
    """The ``amr`` of the session the federated sign-in opens."""
    if counts_as_mfa(assertion, connection):
        return [FEDERATED_METHOD, MULTI_FACTOR_METHOD]
    return [FEDERATED_METHOD]
