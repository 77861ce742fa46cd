"""Who may see an agreement: its two parties, and an operator only under a customer's grant,
flagged in the customer's audit log as a supplier intervention (TOM-O3, TOM-T3c)."""

import uuid
from functools import partial

from sqlalchemy import select
from sqlmodel import col

from services.audit.store import AuditEntry
from shared.auth import Role
from shared.events import ActorType
from shared.outbox import OutboxMessage
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


# -- refused requests for another organisation's agreement (access attempts) ------------------

VIEW_REFUSED = "dpa.agreements.agreement_view.denied.v1"
CHANGE_REFUSED = "dpa.agreements.agreement_change.denied.v1"


async def _refusals(platform: Platform, event_type: str, **where: object) -> list[AuditEntry]:
    return await platform.audit_entries(event_type=event_type, **where)


async def test_a_refused_read_of_another_organisations_agreement_is_in_its_owners_log__TOM_T3c(
    parties: Parties, platform: Platform
) -> None:
    agreement_id = await parties.active()
    stranger = str(uuid.uuid4())
    headers = platform.auth(stranger, [Role.admin])
    missing = uuid.uuid4()
    refused = await parties.client.get(f"/agreements/{agreement_id}", headers=headers)
    absent = await parties.client.get(f"/agreements/{missing}", headers=headers)
    # The caller cannot tell another organisation's agreement from none at all.
    assert refused.status_code == absent.status_code == 404
    assert refused.headers["content-type"] == absent.headers["content-type"]
    assert refused.json() == {
        **absent.json(),
        "instance": absent.json()["instance"].replace(str(missing), agreement_id),
    }
    changed = await parties.client.patch(
        f"/agreements/{agreement_id}", json={"title": "Mine now"}, headers=headers
    )
    assert changed.status_code == 404

    [entry] = await eventually(
        partial(_refusals, platform, VIEW_REFUSED, organisation_id=parties.controller)
    )
    assert entry.outcome == "denied"
    assert entry.subject == agreement_id
    assert entry.actor_organisation_id == stranger
    assert entry.supplier_intervention is True
    assert entry.data["status"] == 404 and entry.data["method"] == "GET"
    [attempt] = await eventually(
        partial(_refusals, platform, CHANGE_REFUSED, organisation_id=parties.controller)
    )
    assert attempt.data["method"] == "PATCH"
    # A missing agreement is nobody's: nothing was written about it, in any log.
    assert [e.subject for e in await _refusals(platform, VIEW_REFUSED)] == [agreement_id]
    answer = await platform.clients["audit"].get(
        "/audit/entries", headers=parties.controller_admin(), params={"lang": "nl"}
    )
    sentences = [item["sentence"] for item in answer.json()["items"]]
    assert any(
        "probeerde de overeenkomst" in text and "werd geweigerd" in text for text in sentences
    ), sentences


async def test_a_party_refused_its_own_agreement_or_a_missing_one_leaves_no_attempt__TOM_T3c(
    parties: Parties, platform: Platform
) -> None:
    agreement_id = await parties.active()
    own_missing = await parties.client.get(
        f"/agreements/{uuid.uuid4()}", headers=parties.processor_admin()
    )
    assert own_missing.status_code == 404
    stranger = platform.auth(str(uuid.uuid4()), [Role.admin])
    assert (
        await parties.client.get(f"/agreements/{agreement_id}", headers=stranger)
    ).status_code == 404
    await eventually(partial(_refusals, platform, VIEW_REFUSED))
    assert len(await _refusals(platform, VIEW_REFUSED)) == 1  # the stranger's only


async def test_a_scanner_cannot_flood_the_owners_log_one_entry_a_minute__TOM_T3c(
    parties: Parties, platform: Platform
) -> None:
    agreement_id = await parties.active()
    stranger = str(uuid.uuid4())
    headers = platform.auth(stranger, [Role.admin])
    for _ in range(25):
        answer = await parties.client.get(f"/agreements/{agreement_id}", headers=headers)
        assert answer.status_code == 404
    await eventually(partial(_refusals, platform, VIEW_REFUSED, organisation_id=parties.controller))
    # Whatever the audit consumer has yet to take in is in the agreements outbox already.
    async with platform.runtime("agreements").sessions() as session:
        rows = (
            await session.scalars(
                select(OutboxMessage).where(col(OutboxMessage.event_type) == VIEW_REFUSED)
            )
        ).all()
    assert 1 <= len(rows) <= 2  # 25 refusals; two only if they straddled a minute
    other = platform.auth(str(uuid.uuid4()), [Role.admin])
    await parties.client.get(f"/agreements/{agreement_id}", headers=other)
    entries = await eventually(lambda: _count(platform, parties.controller, 1 + len(rows)))
    assert {e.actor_organisation_id for e in entries} >= {stranger}


async def _count(platform: Platform, organisation: str, wanted: int) -> list[AuditEntry]:
    entries = await _refusals(platform, VIEW_REFUSED, organisation_id=organisation)
    return entries if len(entries) == wanted else []
