"""ARCH-2: every access or change is emitted once and consumed once by audit and notifier."""

import uuid

from services.agreements.store import Agreement
from shared.outbox import OutboxMessage, pending_count
from tests.support.platform import Platform, eventually


async def test_one_change_and_one_read_give_one_audit_entry_and_one_receipt_each__ARCH_2(
    platform: Platform,
) -> None:
    organisation = str(uuid.uuid4())
    headers = platform.auth(organisation)
    agreements = platform.clients["agreements"]

    created = await agreements.post("/agreements", json={"title": "UTOPIA x iBeauty"}, headers=headers)
    assert created.status_code == 201, created.text
    agreement_id = created.json()["id"]
    read = await agreements.get(f"/agreements/{agreement_id}", headers=headers)
    assert read.status_code == 200, read.text

    async def both_recorded() -> bool:
        return len(await platform.audit_entries(organisation_id=organisation)) >= 2 and (
            len(await platform.receipts(organisation_id=organisation)) >= 2
        )

    await eventually(both_recorded)
    await platform.runtime("agreements").relay.publish_pending()  # nothing left to send twice

    entries = await platform.audit_entries(organisation_id=organisation)
    assert [e.event_type for e in entries] == [
        "dpa.agreements.agreement.created.v1",
        "dpa.agreements.agreement.viewed.v1",
    ]
    assert all(e.subject == agreement_id for e in entries)
    assert entries[1].data["fields"]  # the read names the fields returned ...
    assert "UTOPIA" not in str(entries[1].data)  # ... never their values
    receipts = await platform.receipts(organisation_id=organisation)
    assert sorted(r.event_type for r in receipts) == sorted(e.event_type for e in entries)
    assert await pending_count(platform.runtime("agreements").sessions) == 0
    assert await platform.count("agreements", Agreement) == 1
    assert await platform.count("agreements", OutboxMessage) == 2
