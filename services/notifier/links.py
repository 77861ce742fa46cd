"""Identity's one-time links, fetched at send time and never stored, logged or put in an event.

Identity answers ``POST /internal/links/{id}`` (header ``X-Pactum-Delivery-Key``) with the user's
address and a freshly minted URL; each fetch replaces the secret, so a retried delivery sends a
link that works and the earlier one stops working (docs/identity.md, services/identity/links.py).
"""

from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass(frozen=True)
class LinkDelivery:
    email: str
    url: str
    expires_at: str


class LinkGone(LookupError):
    """Identity no longer has a deliverable link (used, expired, replaced): nothing to send."""


class IdentityLinks:
    def __init__(self, client: httpx.AsyncClient, *, base_url: str, key_path: Path) -> None:
        self._client = client
        self._base_url = base_url.rstrip("/")
        self._key_path = key_path

    async def fetch(self, link_id: str) -> LinkDelivery:
        key = self._key_path.read_text().strip() if self._key_path.exists() else ""
        response = await self._client.post(
            f"{self._base_url}/internal/links/{link_id}",
            headers={"X-Pactum-Delivery-Key": key},
        )
        if response.status_code == 404:
            raise LinkGone(link_id)
        response.raise_for_status()
        body = response.json()
        return LinkDelivery(
            email=str(body["email"]), url=str(body["url"]), expires_at=str(body["expires_at"])
        )
