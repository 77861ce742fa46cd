"""Compliance evidence: the report per agreement with requirement IDs, read-only auditors, and
the processor's record of processing (DPA-11, art. 30(2))."""

import uuid
from datetime import UTC, date, datetime, timedelta
from functools import partial

from shared.auth import Role
from shared.outbox import OutboxMessage
from tests.agreements.contract import SIGNATURE, Parties
from tests.support.platform import Platform, eventually


async def test_auditor_downloads_the_compliance_report_with_requirement_ids__DPA_11(
    parties: Parties, platform: Platform
) -> None:
    agreement_id = await parties.active()
    url = f"/agreements/{agreement_id}"
    await parties.client.post(
        f"{url}/instructions", json={"text": "Only EU hosting"}, headers=parties.controller_admin()
    )
    await parties.client.post(
        "/subprocessor-changes",
        json={
            "name": "Hosting NV",
            "service": "hosting",
            "location": "BE",
            "transfer_mechanism": "none",
            "data_categories": ["contact data"],
            "effective_date": (date.today() + timedelta(days=31)).isoformat(),
        },
        headers=parties.processor_admin(),
    )
    await parties.client.post(
        "/breaches",
        json={
            "aware_at": datetime.now(UTC).isoformat(),
            "nature": "misdirected e-mail",
            "data_categories": ["contact data"],
            "data_subject_categories": ["citizens"],
            "approx_data_subjects": 1,
            "approx_records": 1,
            "consequences": "low",
            "measures": "recalled",
            "contact_point": "dpo",
        },
        headers=parties.processor_admin(),
    )

    auditor = parties.as_(parties.controller, Role.auditor)
    response = await parties.client.get(f"{url}/compliance-report", headers=auditor)
    assert response.status_code == 200, response.text
    report = response.json()
    index = report["requirement_index"]
    for requirement in ("DPA-1", "DPA-5", "DPA-6", "DPA-8", "DPA-9", "DPA-13", "TOM-O4", "TOM-T5"):
        assert requirement in index, requirement
    sections = report["sections"]
    assert sections["instructions"]["records"]["instructions"][0]["text"] == "Only EU hosting"
    assert len(sections["subprocessors"]["records"]["subprocessor_notices"]) == 1
    assert len(sections["breaches"]["records"]["breach_notices"]) == 1
    assert len(sections["annex2_measures"]["records"]["measures"]) == 26

    [entry] = await eventually(
        partial(
            platform.audit_entries,
            organisation_id=parties.controller,
            event_type="dpa.agreements.compliance_report.exported.v1",
        )
    )
    assert entry.subject == agreement_id
    foreign = await parties.client.get(
        f"{url}/compliance-report", headers=platform.auth(str(uuid.uuid4()), [Role.auditor])
    )
    assert foreign.status_code == 404


async def test_auditors_and_members_change_nothing__DPA_11_TOM_T2e(parties: Parties) -> None:
    agreement_id = await parties.active()
    url = f"/agreements/{agreement_id}"
    attempts = [
        ("post", "/agreements", {"title": "x"}),
        ("patch", url, {"title": "x"}),
        ("post", f"{url}/signatures", SIGNATURE),
        ("post", f"{url}/amendments", {"reason": "x", "terms": {"notice_days": 10}}),
        ("post", f"{url}/termination", {"reason": "x"}),
        ("post", f"{url}/instructions", {"text": "x"}),
        ("put", f"{url}/measures/TOM-T1", {"status": "planned"}),
        ("post", f"{url}/staff", {}),
        ("post", f"{url}/disclosures", {}),
        ("post", f"{url}/closure", {"choice": "destroy"}),
        ("post", "/subprocessor-changes", {}),
        ("post", "/breaches", {}),
    ]
    before = await parties.platform.count("agreements", OutboxMessage)
    for organisation in (parties.controller, parties.processor):
        for role in (Role.auditor, Role.member):
            headers = parties.as_(organisation, role)
            for method, path, body in attempts:
                response = await parties.client.request(method, path, json=body, headers=headers)
                assert response.status_code == 403, (method, path, role)
    assert await parties.platform.count("agreements", OutboxMessage) == before


async def test_processor_keeps_a_record_of_processing_per_controller__DPA_11(
    parties: Parties,
) -> None:
    first = await parties.active()
    second = Parties(parties.platform, processor=parties.processor)
    other = await second.active()
    response = await parties.client.get(
        "/processing-record", headers=parties.as_(parties.processor, Role.auditor)
    )
    entries = response.json()["processing"]
    assert {(e["agreement_id"], e["controller_id"]) for e in entries} == {
        (first, parties.controller),
        (other, second.controller),
    }
    assert entries[0]["data_categories"] == ["identification data", "contact data"]
    mine = await parties.client.get("/processing-record", headers=parties.controller_admin())
    assert mine.json()["processing"] == []
