"""Signed webhook calls (Standard Webhooks) with a guard against server-side request forgery."""

import asyncio
import ipaddress
import socket
import time
from datetime import datetime
from urllib.parse import urlsplit

import httpx

from services.notifier import webhook_signatures
from services.notifier.domain import is_public_address
from services.notifier.mail import Outcome
from services.notifier.store import Endpoint
from shared.moments import as_utc


async def resolves_publicly(url: str) -> bool:
    """Every address the host resolves to is public (checked at send time: DNS may change)."""
    host = urlsplit(url).hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    addresses = {ipaddress.ip_address(info[4][0]) for info in infos}
    return bool(addresses) and all(is_public_address(address) for address in addresses)


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
) -> Outcome:
    if production and not await resolves_publicly(endpoint.url):
        return Outcome(False, "unsafe_address", detail="the host resolves to a private address")
    moment = now if now is not None else time.time()
    secrets_ = [endpoint.secret]
    until = endpoint.previous_until
    if endpoint.previous_secret and until is not None and _epoch(until) > moment:
        secrets_.append(endpoint.previous_secret)  # a rotation's overlap: both sign
    payload = body.encode()
    headers = webhook_signatures.headers(
        secrets_=secrets_, message_id=message_id, timestamp=int(moment), body=payload
    )
    try:
        response = await client.post(endpoint.url, content=payload, headers=headers)
    except httpx.HTTPError as error:
        return Outcome(False, type(error).__name__, detail=str(error)[:300])
    if 200 <= response.status_code < 300:
        return Outcome(True, str(response.status_code))
    return Outcome(False, str(response.status_code), detail=response.text[:300])
