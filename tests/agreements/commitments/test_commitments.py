"""Instructions, Annex 2 measures, staff with access and disclosures, over HTTP."""

from datetime import date, timedelta
from functools import partial
from typing import Any

import pytest

from services.agreements.commitments.store import Instruction, MeasureRecord, StaffMember
from services.agreements.commitments.tom_catalogue import CATALOGUE
from shared.auth import Role
from shared.outbox import OutboxMessage
from tests.agreements.contract import Parties
from tests.support.platform import Platform, eventually


async def test_controller_instructs_processor_acknowledges_history_is_kept__DPA_1(
    parties: Parties, platform: Platform
) -> None:
    agreement_id = await parties.active()
    url = f"/agreements/{agreement_id}/instructions"
    first = await parties.client.post(
        url, json={"text": "Delete bookings after 1 year"}, headers=parties.controller_admin()
    )
    assert first.status_code == 201, first.text
    second = await parties.client.post(
        url,
        json={"text": "Delete bookings after 6 months", "supersedes_id": first.json()["id"]},
        headers=parties.controller_admin(),
    )
    assert second.json()["number"] == 2
    by_processor = await parties.client.post(
        url, json={"text": "I instruct myself"}, headers=parties.processor_admin()
    )
    assert by_processor.status_code == 403

    ack_url = f"{url}/{second.json()['id']}/acknowledgement"
    assert (
        await parties.client.post(ack_url, headers=parties.controller_admin())
    ).status_code == 403
    acknowledged = await parties.client.post(ack_url, headers=parties.processor_admin())
    assert acknowledged.json()["acknowledged_at"] is not None
    assert (
        await parties.client.post(ack_url, headers=parties.processor_admin())
    ).status_code == 409

    history = await parties.client.get(url, headers=parties.as_(parties.controller, Role.auditor))
    items = history.json()["items"]
    assert [(i["number"], i["text"]) for i in items] == [
        (1, "Delete bookings after 1 year"),
        (2, "Delete bookings after 6 months"),
    ]
    assert items[1]["supersedes_id"] == items[0]["id"]
    [entry] = await eventually(
        partial(
            platform.audit_entries,
            organisation_id=parties.controller,
            event_type="dpa.agreements.instruction.acknowledged.v1",
        )
    )
    assert entry.actor_organisation_id == parties.processor
    assert await platform.count("agreements", Instruction) == 2


async def test_instructions_on_a_draft_are_refused(parties: Parties) -> None:
    draft = await parties.draft()
    response = await parties.client.post(
        f"/agreements/{draft['id']}/instructions",
        json={"text": "Too early"},
        headers=parties.controller_admin(),
    )
    assert response.status_code == 409


async def test_annex2_lists_the_catalogue_with_status_and_evidence__DPA_6(
    parties: Parties,
) -> None:
    agreement_id = await parties.active()
    url = f"/agreements/{agreement_id}/measures"
    listed = await parties.client.get(url, headers=parties.controller_admin())
    assert [m["id"] for m in listed.json()["items"]] == [m.id for m in CATALOGUE]
    assert {m["status"] for m in listed.json()["items"]} == {"planned"}

    no_evidence = await parties.client.put(
        f"{url}/TOM-T5", json={"status": "implemented"}, headers=parties.processor_admin()
    )
    assert no_evidence.status_code == 422
    by_controller = await parties.client.put(
        f"{url}/TOM-T5",
        json={"status": "implemented", "evidence": "x"},
        headers=parties.controller_admin(),
    )
    assert by_controller.status_code == 403
    unknown = await parties.client.put(
        f"{url}/TOM-X9", json={"status": "planned"}, headers=parties.processor_admin()
    )
    assert unknown.status_code == 404
    for evidence in ("lockout after 5 attempts", "lockout after 3 attempts"):
        stated = await parties.client.put(
            f"{url}/TOM-T5",
            json={"status": "implemented", "evidence": evidence},
            headers=parties.processor_admin(),
        )
        assert stated.status_code == 200
    measure = stated.json()
    assert measure["evidence"] == "lockout after 3 attempts"
    assert [h["evidence"] for h in measure["history"]] == [
        "lockout after 3 attempts",
        "lockout after 5 attempts",
    ]
    assert await parties.platform.count("agreements", MeasureRecord) == 2


def _member(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Support desk",
        "function": "second-line support",
        "confidentiality_signed_on": date.today().isoformat(),
        "gdpr_briefed": True,
    } | overrides


async def test_controller_reads_the_staff_with_access_and_their_commitments__DPA_8_DPA_9(
    parties: Parties, platform: Platform
) -> None:
    agreement_id = await parties.active()
    url = f"/agreements/{agreement_id}/staff"
    added = await parties.client.post(url, json=_member(), headers=parties.processor_admin())
    assert added.status_code == 201, added.text
    refused = await parties.client.post(
        url, json=_member(gdpr_briefed=False), headers=parties.processor_admin()
    )
    assert refused.status_code == 422
    future = (date.today() + timedelta(days=3)).isoformat()
    refused = await parties.client.post(
        url, json=_member(confidentiality_signed_on=future), headers=parties.processor_admin()
    )
    assert refused.status_code == 422
    by_controller = await parties.client.post(
        url, json=_member(), headers=parties.controller_admin()
    )
    assert by_controller.status_code == 403

    listed = await parties.client.get(url, headers=parties.as_(parties.controller, Role.member))
    [member] = listed.json()["items"]
    assert member["confidentiality_signed_on"] == date.today().isoformat()
    removed = await parties.client.post(
        f"{url}/{member['id']}/removal", headers=parties.processor_admin()
    )
    assert removed.json()["removed_at"] is not None
    assert await platform.count("agreements", StaffMember) == 1
    entries = await eventually(
        partial(
            platform.audit_entries,
            organisation_id=parties.controller,
            event_type="dpa.agreements.staff_member.created.v1",
        )
    )
    assert "Support desk" not in str(entries[0].__dict__)


async def test_controller_is_told_of_a_disclosure_unless_the_law_forbids__DPA_4a(
    parties: Parties, platform: Platform
) -> None:
    agreement_id = await parties.active()
    url = f"/agreements/{agreement_id}/disclosures"
    demand = {"authority": "Police", "legal_basis": "Sv. art. 46bis", "scope": "one booking"}
    open_demand = await parties.client.post(url, json=demand, headers=parties.processor_admin())
    assert open_demand.json()["controller_informed_at"] is not None
    gagged = await parties.client.post(
        url, json=demand | {"prohibited_by_law": True}, headers=parties.processor_admin()
    )
    assert gagged.json()["controller_informed_at"] is None

    seen = await parties.client.get(url, headers=parties.controller_admin())
    assert [d["id"] for d in seen.json()["items"]] == [open_demand.json()["id"]]
    all_seen = await parties.client.get(url, headers=parties.processor_admin())
    assert len(all_seen.json()["items"]) == 2

    await eventually(partial(_two, platform))
    reported = await platform.audit_entries(event_type="dpa.agreements.disclosure.reported.v1")
    # the gagged demand is filed with the processor only, never in the controller's log
    assert sorted(e.organisation_id for e in reported) == sorted(
        [parties.controller, parties.processor]
    )

    settled = await parties.client.post(
        f"{url}/{gagged.json()['id']}/outcome",
        json={"outcome": "complied", "prohibition_lifted": True},
        headers=parties.processor_admin(),
    )
    assert settled.json()["controller_informed_at"] is not None
    seen = await parties.client.get(url, headers=parties.controller_admin())
    assert len(seen.json()["items"]) == 2
    again = await parties.client.post(
        f"{url}/{gagged.json()['id']}/outcome",
        json={"outcome": "refused"},
        headers=parties.processor_admin(),
    )
    assert again.status_code == 409


async def _two(platform: Platform) -> bool:
    entries = await platform.audit_entries(event_type="dpa.agreements.disclosure.reported.v1")
    return len(entries) == 2


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("instructions", {"text": ""}),
        ("instructions", {"text": "x", "supersedes_id": "00000000-0000-0000-0000-000000000000"}),
        ("staff", {"name": "x"}),
        ("disclosures", {"authority": "x", "legal_basis": "y"}),
        ("measures/TOM-T1", {"status": "done"}),
    ],
)
async def test_invalid_records_get_422_and_change_nothing(
    parties: Parties, path: str, body: dict[str, Any]
) -> None:
    agreement_id = await parties.active()
    before = await parties.platform.count("agreements", OutboxMessage)
    url = f"/agreements/{agreement_id}/{path}"
    headers = parties.controller_admin() if path == "instructions" else parties.processor_admin()
    method = parties.client.put if path.startswith("measures") else parties.client.post
    response = await method(url, json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert await parties.platform.count("agreements", OutboxMessage) == before
