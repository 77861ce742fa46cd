"""Signed webhook calls (Standard Webhooks) with a guard against server-side request forgery.

The host is resolved once; every address it resolves to is checked (in production) and the
connection goes to one of those checked addresses, with the URL's host kept in the ``Host`` header
and as the TLS server name (SNI and certificate check). A second lookup between check and connect,
which an attacker's DNS could answer differently (rebinding), never happens. An https connection
is not kept for another call: the pool knows it by address, not by the name it was verified for.
Redirects are not followed, whatever the client's default: a 3xx is a failed delivery.
"""

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from urllib.parse import SplitResult, urlsplit, urlunsplit

import httpx

from services.notifier import webhook_signatures
from services.notifier.domain import is_public_address
from services.notifier.mail import Outcome
from services.notifier.secret_seal import SecretSeal
from services.notifier.store import Endpoint
from shared.moments import as_utc

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# A host name to the addresses it resolves to, in the order to try them (injectable in tests).
Resolver = Callable[[str], Awaitable[list[Address]]]


async def system_resolver(host: str) -> list[Address]:
    """The host's addresses from the system's resolver, without duplicates, in its order."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    found = (ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos)
    return list(dict.fromkeys(found))


async def resolve(host: str, resolver: Resolver) -> list[Address]:
    """A literal address is itself; a name is asked of ``resolver``."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        return await resolver(host)


def pinned_url(parts: SplitResult, address: Address) -> str:
    """The URL with its host replaced by ``address`` (port, path and query kept)."""
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    return urlunsplit(parts._replace(netloc=netloc))


def _host_header(parts: SplitResult) -> str:
    host = parts.hostname or ""
    literal = f"[{host}]" if ":" in host else host
    return f"{literal}:{parts.port}" if parts.port else literal


def _epoch(moment: datetime) -> float:
    return as_utc(moment).timestamp()


async def call(
    client: httpx.AsyncClient,
    *,
    endpoint: Endpoint,
    message_id: str,
    body: str,
    production: bool,
    now: float | None = None,
    seal: SecretSeal,
    resolver: Resolver = system_resolver,
) -> Outcome:
    """Send one signed message to ``endpoint``, connecting only to an address that was checked.

    Outside production (development, tests) private and loopback addresses are allowed, as
    ``check_endpoint_url`` allows them; the connection is pinned to the resolved address all the
    same.
    """
    parts = urlsplit(endpoint.url)
    addresses = await checked_addresses(parts.hostname or "", resolver, production=production)
    if isinstance(addresses, Outcome):
        return addresses
    moment = now if now is not None else time.time()
    payload = body.encode()
    headers = webhook_signatures.headers(
        secrets_=signing_secrets(endpoint, seal, moment),
        message_id=message_id,
        timestamp=int(moment),
        body=payload,
    )
    pinned = _Pinned(parts, addresses, headers)
    return await pinned.post(client, payload)


async def checked_addresses(
    host: str, resolver: Resolver, *, production: bool
) -> list[Address] | Outcome:
    """The addresses the host resolves to, each one safe to connect to (in production: public),
    or why the message is not sent."""
    try:
        addresses = await resolve(host, resolver)
    except OSError:
        addresses = []
    if not addresses:
        return Outcome(False, "unresolved", detail="the host name does not resolve")
    if production and not all(is_public_address(address) for address in addresses):
        return Outcome(False, "unsafe_address", detail="the host resolves to a private address")
    return addresses


def signing_secrets(endpoint: Endpoint, seal: SecretSeal, moment: float) -> list[str]:
    """The endpoint's secret, opened; during a rotation's overlap the previous one signs too."""
    secrets_ = [seal.open(endpoint.secret, endpoint_id=endpoint.id)]
    until = endpoint.previous_until
    if endpoint.previous_secret and until is not None and _epoch(until) > moment:
        secrets_.append(seal.open(endpoint.previous_secret, endpoint_id=endpoint.id))
    return secrets_


class _Pinned:
    """A request to the URL's host sent to one of its checked addresses: the host kept in the
    ``Host`` header and, for https, as the TLS server name."""

    def __init__(self, parts: SplitResult, addresses: list[Address], headers: dict[str, str]):
        self.parts = parts
        self.addresses = addresses
        self.headers = headers | {"Host": _host_header(parts)}
        self.extensions: dict[str, str] = {}
        if parts.scheme == "https":
            self.extensions["sni_hostname"] = parts.hostname or ""
            # The pool keys connections by address: one verified for another name on the same
            # address must not carry this request, so none is kept for reuse.
            self.headers["Connection"] = "close"

    async def post(self, client: httpx.AsyncClient, payload: bytes) -> Outcome:
        """The answer of the first address that connects (each was checked; the next one only if
        this one cannot connect): delivered on a 2xx, else failed."""
        failure: httpx.HTTPError | None = None
        for address in self.addresses:
            try:
                response = await client.post(
                    pinned_url(self.parts, address),
                    content=payload,
                    headers=self.headers,
                    extensions=self.extensions,
                    follow_redirects=False,  # a redirect would lead to an address nobody checked
                )
            except httpx.ConnectError as error:
                failure = error
                continue
            except httpx.HTTPError as error:
                return Outcome(False, type(error).__name__, detail=str(error)[:300])
            if 200 <= response.status_code < 300:
                return Outcome(True, str(response.status_code))
            return Outcome(False, str(response.status_code), detail=response.text[:300])
        assert failure is not None
        return Outcome(False, type(failure).__name__, detail=str(failure)[:300])
