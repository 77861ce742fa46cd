"""The seed contract's parties, as the tests drive it over HTTP: draft, sign, activate."""

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from shared.auth import Role
from tests.agreements.organisations import introduce
from tests.support.platform import Platform

ANNEX1: dict[str, Any] = {
    "subject": "Online booking of appointments at the municipal beauty service",
    "duration": "For as long as the main contract runs",
    "nature": "Storage and consultation",
    "purpose": "Planning appointments for citizens",
    "data_categories": [
        {"name": "identification data", "retention_days": 365},
        {"name": "contact data", "retention_days": 365},
    ],
    "data_subject_categories": ["citizens"],
    "legal_basis": "GDPR art. 6(1)(e)",
}


# The signature block of the contract (DPA-20): place, the signer's name and capacity.
SIGNATURE: dict[str, str] = {
    "place": "Utopia",
    "signer_name": "Jan Janssens",
    "signer_role": "algemeen directeur",
}


@dataclass
class Parties:
    """A controller and a processor, each with an admin, a member and an auditor."""

    platform: Platform
    controller: str = field(default_factory=lambda: str(uuid.uuid4()))
    processor: str = field(default_factory=lambda: str(uuid.uuid4()))
    known: bool = False  # whether the agreements service learnt both organisations yet

    async def introduce(self) -> None:
        """Make both organisations known to the agreements service, by identity's event."""
        await introduce(self.platform, {self.controller: "controller", self.processor: "processor"})

    @property
    def client(self) -> httpx.AsyncClient:
        return self.platform.clients["agreements"]

    def controller_admin(self) -> dict[str, str]:
        return self.platform.auth(self.controller, [Role.admin])

    def processor_admin(self) -> dict[str, str]:
        return self.platform.auth(self.processor, [Role.admin])

    def as_(self, organisation: str, role: Role) -> dict[str, str]:
        return self.platform.auth(organisation, [role])

    async def draft(self, *, annex1: dict[str, Any] = ANNEX1, **terms: Any) -> dict[str, Any]:
        if not self.known:
            await self.introduce()
        response = await self.client.post(
            "/agreements",
            json={
                "title": "Verwerkersovereenkomst UTOPIA x iBeauty",
                "counterparty_id": self.processor,
                "party": "controller",
                "annex1": annex1,
                "terms": terms,
            },
            headers=self.controller_admin(),
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def signed(self, *, annex1: dict[str, Any] = ANNEX1, **terms: Any) -> str:
        agreement_id = str((await self.draft(annex1=annex1, **terms))["id"])
        for headers in (self.controller_admin(), self.processor_admin()):
            response = await self.client.post(
                f"/agreements/{agreement_id}/signatures", json=SIGNATURE, headers=headers
            )
            assert response.status_code == 200, response.text
        return agreement_id

    async def active(self, *, annex1: dict[str, Any] = ANNEX1, **terms: Any) -> str:
        agreement_id = await self.signed(annex1=annex1, **terms)
        response = await self.client.post(
            f"/agreements/{agreement_id}/activation", headers=self.controller_admin()
        )
        assert response.status_code == 200, response.text
        return agreement_id
