"""The relying party's side of OpenID Connect, against an organisation's own provider.

Discovery (OpenID Connect Discovery 1.0: the document's ``issuer`` must be the issuer asked
for), the authorization request with PKCE S256 (RFC 7636), ``state`` and ``nonce``, the code
exchange at the token endpoint (client_secret_basic), and the ID token's checks (OpenID Connect
Core 1.0 §3.1.3.7): its signature against the provider's JWKS, with an asymmetric algorithm only,
its ``iss``, ``aud`` (and ``azp`` when there are several audiences), ``exp`` and ``iat``, and the
``nonce`` this sign-in sent. The JOSE work is PyJWT's (with ``cryptography``); nothing here parses
a signature by hand.

An admin chooses the URLs identity fetches, so in production they must be https and resolve to
public addresses only (no request into pactum's own network); development and tests may use a
provider on the machine itself.
"""

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import secrets
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import jwt

# The signature algorithms an ID token may use: asymmetric only (an HS256 token would be signed
# with the client secret, which is also ours; "none" is never accepted).
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"]
SCOPE = "openid email profile"
LEEWAY_SECONDS = 60
MAX_DOCUMENT_BYTES = 256 * 1024


class ProviderUnusable(Exception):
    """Discovery failed: unreachable, not JSON, another issuer, or an endpoint not allowed."""


class TokenRefused(Exception):
    """The code exchange or the ID token failed a check (the caller answers generically)."""


@dataclass(frozen=True)
class Discovery:
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


@dataclass(frozen=True)
class Fetching:
    """How identity reaches providers: the HTTP client, and whether private addresses and plain
    http are allowed (development and tests only)."""

    client: httpx.AsyncClient
    allow_private: bool


def _public(address: str) -> bool:
    parsed = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return parsed.is_global and not (parsed.is_multicast or parsed.is_reserved)


async def _check_url(url: str, fetching: Fetching) -> None:
    parts = urlsplit(url)
    if fetching.allow_private:
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ProviderUnusable("not an http(s) URL")
        return
    if parts.scheme != "https" or not parts.hostname:
        raise ProviderUnusable("not an https URL")
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            parts.hostname, None, type=socket.SOCK_STREAM
        )
    except OSError:
        raise ProviderUnusable("host does not resolve") from None
    if not infos or not all(_public(str(info[4][0])) for info in infos):
        raise ProviderUnusable("host resolves to an address that is not public")


async def _get_json(url: str, fetching: Fetching) -> dict[str, Any]:
    await _check_url(url, fetching)
    try:
        response = await fetching.client.get(
            url, headers={"Accept": "application/json"}, follow_redirects=False
        )
    except httpx.HTTPError:
        raise ProviderUnusable("unreachable") from None
    if response.status_code != 200 or len(response.content) > MAX_DOCUMENT_BYTES:
        raise ProviderUnusable(f"answered {response.status_code}")
    try:
        document = response.json()
    except ValueError:
        raise ProviderUnusable("not JSON") from None
    if not isinstance(document, dict):
        raise ProviderUnusable("not a JSON object")
    return document


async def discover(issuer: str, fetching: Fetching) -> Discovery:
    """The provider's endpoints from ``{issuer}/.well-known/openid-configuration``."""
    document = await _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration", fetching)
    if document.get("issuer") != issuer:
        raise ProviderUnusable("the document names another issuer")
    methods = document.get("code_challenge_methods_supported")
    if methods is not None and "S256" not in methods:
        raise ProviderUnusable("the provider does not offer PKCE S256")
    endpoints = [document.get(name) for name in ("authorization_endpoint", "token_endpoint")]
    jwks_uri = document.get("jwks_uri")
    found = [*endpoints, jwks_uri]
    if not all(isinstance(url, str) and len(url) <= 500 for url in found):
        raise ProviderUnusable("the document lacks an endpoint")
    for url in found:
        await _check_url(str(url), fetching)
    return Discovery(
        authorization_endpoint=str(endpoints[0]),
        token_endpoint=str(endpoints[1]),
        jwks_uri=str(jwks_uri),
    )


def new_secret() -> str:
    """A state, nonce or PKCE verifier: 256 random bits, base64url (43 characters)."""
    return secrets.token_urlsafe(32)


def code_challenge(verifier: str) -> str:
    """PKCE S256: base64url(SHA-256(verifier)) without padding (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def authorization_url(
    *,
    endpoint: str,
    client_id: str,
    redirect_uri: str,
    state: str,
    nonce: str,
    verifier: str,
    login_hint: str | None = None,
) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": SCOPE,
        "state": state,
        "nonce": nonce,
        "code_challenge": code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    if login_hint:
        query["login_hint"] = login_hint
    separator = "&" if urlsplit(endpoint).query else "?"
    return endpoint + separator + urlencode(query)


async def exchange_code(
    *,
    fetching: Fetching,
    token_endpoint: str,
    code: str,
    verifier: str,
    redirect_uri: str,
    client_id: str,
    client_secret: str,
) -> str:
    """The ID token for ``code``, with the client's credentials (client_secret_basic)."""
    await _check_url(token_endpoint, fetching)
    try:
        response = await fetching.client.post(
            token_endpoint,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            },
            # RFC 6749 §2.3.1: the id and secret are form-encoded before Basic.
            auth=httpx.BasicAuth(
                urlencode({"": client_id})[1:], urlencode({"": client_secret})[1:]
            ),
            headers={"Accept": "application/json"},
            follow_redirects=False,
        )
    except httpx.HTTPError:
        raise TokenRefused("token endpoint unreachable") from None
    if response.status_code != 200:
        raise TokenRefused(f"token endpoint answered {response.status_code}")
    try:
        token = response.json().get("id_token")
    except (ValueError, AttributeError):
        raise TokenRefused("token endpoint answered no JSON object") from None
    if not isinstance(token, str):
        raise TokenRefused("no id_token")
    return token


async def provider_keys(jwks_uri: str, fetching: Fetching) -> dict[str, Any]:
    try:
        return await _get_json(jwks_uri, fetching)
    except ProviderUnusable as error:
        raise TokenRefused(f"JWKS: {error}") from None


def verify_id_token(
    token: str,
    *,
    jwks: dict[str, Any],
    issuer: str,
    client_id: str,
    nonce: str,
) -> dict[str, Any]:
    """The ID token's claims, once every check has passed; else ``TokenRefused``."""
    try:
        header = jwt.get_unverified_header(token)
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise TokenRefused("algorithm not allowed")
        keys = [
            key
            for key in jwt.PyJWKSet.from_dict(jwks).keys
            if key.public_key_use in (None, "sig")
            and (header.get("kid") is None or key.key_id == header.get("kid"))
        ]
        if len(keys) != 1:
            raise TokenRefused("no single key for the token's kid")
        claims: dict[str, Any] = jwt.decode(
            token,
            keys[0].key,
            algorithms=[algorithm],
            audience=client_id,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["iss", "aud", "exp", "iat", "sub", "nonce"]},
        )
    except (jwt.PyJWTError, ValueError, TypeError) as error:
        raise TokenRefused(f"ID token: {type(error).__name__}") from None
    audience = claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != client_id:
        raise TokenRefused("several audiences and another azp")
    if not hmac.compare_digest(str(claims["nonce"]).encode(), nonce.encode()):
        raise TokenRefused("nonce")
    return claims
