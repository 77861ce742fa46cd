"""Who may see an agreement: its two parties, and an operator only under a customer's grant,
flagged in the customer's audit log as a supplier intervention (TOM-O3, TOM-T3c)."""

import uuid
from functools import partial

from services.audit.store import AuditEntry
from shared.auth import Role
from shared.events import ActorType
from tests.agreements.contract import Parties
from tests.support.platform import Platform, eventually


async def test_an_operator_reads_only_under_a_grant_and_is_flagged__TOM_O3_TOM_T3c(
    parties: Parties, platform: Platform
) -> None:
    agreement_id = await parties.active()
    operator_org = str(uuid.uuid4())
    url = f"/agreements/{agreement_id}"
    without = await parties.client.get(url, headers=platform.auth(operator_org, [Role.admin]))
    assert without.status_code == 404

    token = platform.signer.issue(
        user_id="operator-1",
        organisation_id=parties.controller,
        roles=[Role.member],
        actor_type=ActorType.operator,
        grant_id="grant-1",
        home_organisation_id=operator_org,
    )
    under_grant = await parties.client.get(url, headers={"Authorization": f"Bearer {token}"})
    assert under_grant.status_code == 200

    async def operator_read() -> list[AuditEntry]:
        return await platform.audit_entries(
            organisation_id=parties.controller,
            event_type="dpa.agreements.agreement.viewed.v1",
            actor_id="operator-1",
        )

    [entry] = await eventually(operator_read)
    assert entry.grant_id == "grant-1"
    assert entry.supplier_intervention is True
    assert entry.agreement_id == agreement_id


async def test_the_processors_acts_are_interventions_in_the_controllers_log__TOM_T3c(
    parties: Parties, platform: Platform
) -> None:
    agreement_id = await parties.active()
    await parties.client.get(f"/agreements/{agreement_id}", headers=parties.processor_admin())
    await parties.client.get(f"/agreements/{agreement_id}", headers=parties.controller_admin())
    entries = await eventually(
        partial(_both_reads, platform, parties.controller, "dpa.agreements.agreement.viewed.v1")
    )
    flagged = {e.actor_organisation_id: e.supplier_intervention for e in entries}
    assert flagged == {parties.processor: True, parties.controller: False}


async def _both_reads(platform: Platform, organisation: str, event_type: str) -> list[AuditEntry]:
    entries = await platform.audit_entries(organisation_id=organisation, event_type=event_type)
    return entries if len(entries) == 2 else []
