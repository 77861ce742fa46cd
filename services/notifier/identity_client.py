"""What identity tells the notifier at send time, with the delivery key: one-time links and
addresses. Neither is stored by the notifier, logged or put in an event.

``POST /internal/links/{id}`` answers the user's address and a freshly minted URL; each fetch
replaces the secret, so a retried delivery sends a link that works and the earlier one stops
working; the answer says so (``replaces_earlier``) and the mail tells its reader. For an
invitation it also says who invited whom to which organisation, with which role, for the mail to
say so (those names are rendered into the mail only, like the link).
``GET /internal/users/{id}/contact`` and ``GET /internal/organisations/{id}/admins`` answer
where to reach a user and an organisation's active admins (docs/identity.md).
"""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from services.notifier.templates import Invitation
from shared.moments import as_utc


@dataclass(frozen=True)
class LinkDelivery:
    email: str
    url: str
    expires_at: datetime
    replaces_earlier: bool = False
    invitation: Invitation | None = None


class LinkGone(LookupError):
    """Identity no longer has a deliverable link (used, expired, replaced), or no such user:
    nothing to send."""


class IdentityDirectory:
    def __init__(self, client: httpx.AsyncClient, *, base_url: str, key_path: Path) -> None:
        self._client = client
        self._base_url = base_url.rstrip("/")
        self._key_path = key_path

    def _headers(self) -> dict[str, str]:
        key = self._key_path.read_text().strip() if self._key_path.exists() else ""
        return {"X-Pactum-Delivery-Key": key}

    async def _answer(self, method: str, path: str) -> Any:
        response = await self._client.request(
            method, f"{self._base_url}/internal/{path}", headers=self._headers()
        )
        if response.status_code == 404:
            raise LinkGone(path)
        response.raise_for_status()
        return response.json()

    async def fetch(self, link_id: str) -> LinkDelivery:
        body = await self._answer("POST", f"links/{link_id}")
        return LinkDelivery(
            email=str(body["email"]),
            url=str(body["url"]),
            expires_at=as_utc(
                datetime.fromisoformat(str(body["expires_at"]).replace("Z", "+00:00"))
            ),
            replaces_earlier=bool(body.get("replaces_earlier", False)),
            invitation=_invitation(body),
        )

    async def user_address(self, user_id: str) -> str:
        body = await self._answer("GET", f"users/{user_id}/contact")
        return str(body["email"])

    async def former_address(self, change_id: str) -> str:
        """The address a user signed in with before the e-mail change ``change_id``."""
        body = await self._answer("GET", f"email-changes/{change_id}/former-address")
        return str(body["email"])

    async def admin_addresses(self, organisation_id: str) -> list[str]:
        body = await self._answer("GET", f"organisations/{organisation_id}/admins")
        return sorted({str(item["email"]) for item in body["items"]})


def _invitation(body: dict[str, Any]) -> Invitation | None:
    """Who invited whom where, if identity said (an invitation; not a password reset)."""
    if body.get("purpose") != "invitation" or not body.get("organisation_name"):
        return None
    return Invitation(
        organisation=str(body["organisation_name"]),
        invitee=str(body.get("display_name") or body["email"]),
        role=str(body.get("role") or ""),
        inviter=body.get("invited_by") or None,
        inviter_organisation=str(body.get("invited_by_organisation") or ""),
    )
