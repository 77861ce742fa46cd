"""The ID token's checks (OpenID Connect Core 1.0 §3.1.3.7), on real ID tokens that a real
OpenID Provider (panva's oidc-provider) signed after a real sign-in: one that passes every check,
then the same token tampered with, or checked for another issuer, audience or nonce."""

import base64
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from services.identity.federation_oidc import (
    Fetching,
    TokenRefused,
    authorization_url,
    discover,
    exchange_code,
    new_secret,
    provider_keys,
    verify_id_token,
)
from tests.support.openid_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    OpenIdProvider,
    running,
)

REDIRECT_URI = "http://localhost:8100/sign-in/organisation/callback"


@pytest.fixture(scope="module")
def provider() -> Iterator[OpenIdProvider]:
    with running(REDIRECT_URI) as started:
        yield started


@pytest.fixture
async def fetching() -> AsyncIterator[Fetching]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield Fetching(client=client, allow_private=True)


@dataclass(frozen=True)
class Signed:
    token: str
    nonce: str
    jwks: dict[str, Any]


async def signed_in(provider: OpenIdProvider, fetching: Fetching) -> Signed:
    """A real ID token: discovery, the authorization request with PKCE, the sign-in, the code."""
    endpoints = await discover(provider.issuer, fetching)
    state, nonce, verifier = new_secret(), new_secret(), new_secret()
    url = authorization_url(
        endpoint=endpoints.authorization_endpoint,
        client_id=CLIENT_ID,
        redirect_uri=REDIRECT_URI,
        state=state,
        nonce=nonce,
        verifier=verifier,
    )
    returned = await provider.sign_in(url, "clerk@example.org")
    assert returned.state == state
    token = await exchange_code(
        fetching=fetching,
        token_endpoint=endpoints.token_endpoint,
        code=returned.code,
        verifier=verifier,
        redirect_uri=REDIRECT_URI,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    return Signed(token, nonce, await provider_keys(endpoints.jwks_uri, fetching))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _payload(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def with_payload(token: str, **changes: Any) -> str:
    """The token with claims changed and its signature kept (what a forger can do)."""
    header, _, signature = token.split(".")
    payload = _payload(token) | changes
    return ".".join([header, _b64(json.dumps(payload).encode()), signature])


async def test_a_genuine_id_token_passes_every_check(
    provider: OpenIdProvider, fetching: Fetching
) -> None:
    signed = await signed_in(provider, fetching)
    claims = verify_id_token(
        signed.token,
        jwks=signed.jwks,
        issuer=provider.issuer,
        client_id=CLIENT_ID,
        nonce=signed.nonce,
    )
    assert claims["email"] == "clerk@example.org" and claims["email_verified"] is True


async def test_a_tampered_id_token_is_refused(provider: OpenIdProvider, fetching: Fetching) -> None:
    signed = await signed_in(provider, fetching)
    forged = with_payload(signed.token, email="mayor@example.org")
    with pytest.raises(TokenRefused):
        verify_id_token(
            forged,
            jwks=signed.jwks,
            issuer=provider.issuer,
            client_id=CLIENT_ID,
            nonce=signed.nonce,
        )
    unsigned = ".".join([_b64(b'{"alg":"none","typ":"JWT"}'), signed.token.split(".")[1], ""])
    with pytest.raises(TokenRefused):
        verify_id_token(
            unsigned,
            jwks=signed.jwks,
            issuer=provider.issuer,
            client_id=CLIENT_ID,
            nonce=signed.nonce,
        )


@pytest.mark.parametrize(
    "expected",
    [
        {"issuer": "http://127.0.0.1:1/another-provider"},
        {"client_id": "another-client"},
        {"nonce": "another-nonce-0000000000000000000000000"},
    ],
    ids=["wrong issuer", "wrong audience", "wrong nonce"],
)
async def test_an_id_token_for_another_issuer_audience_or_nonce_is_refused(
    provider: OpenIdProvider, fetching: Fetching, expected: dict[str, str]
) -> None:
    signed = await signed_in(provider, fetching)
    checks = {"issuer": provider.issuer, "client_id": CLIENT_ID, "nonce": signed.nonce} | expected
    with pytest.raises(TokenRefused):
        verify_id_token(signed.token, jwks=signed.jwks, **checks)


async def _code(provider: OpenIdProvider, fetching: Fetching, verifier: str) -> dict[str, Any]:
    endpoints = await discover(provider.issuer, fetching)
    url = authorization_url(
        endpoint=endpoints.authorization_endpoint,
        client_id=CLIENT_ID,
        redirect_uri=REDIRECT_URI,
        state=new_secret(),
        nonce=new_secret(),
        verifier=verifier,
    )
    returned = await provider.sign_in(url, "clerk@example.org")
    return {
        "fetching": fetching,
        "token_endpoint": endpoints.token_endpoint,
        "code": returned.code,
        "redirect_uri": REDIRECT_URI,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }


async def test_a_code_is_exchanged_only_with_its_verifier_and_only_once(
    provider: OpenIdProvider, fetching: Fetching
) -> None:
    verifier = new_secret()
    with pytest.raises(TokenRefused):  # PKCE: a stolen code without its verifier is worthless
        await exchange_code(verifier=new_secret(), **await _code(provider, fetching, verifier))
    exchange = await _code(provider, fetching, verifier)
    assert await exchange_code(verifier=verifier, **exchange)
    with pytest.raises(TokenRefused):
        await exchange_code(verifier=verifier, **exchange)
