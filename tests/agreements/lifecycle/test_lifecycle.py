"""An agreement's lifecycle over HTTP: drafted, signed by both parties, amended, terminated."""

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from services.agreements.lifecycle.store import AgreementVersion, Signature
from services.audit.store import AuditEntry
from shared.auth import Role
from shared.outbox import OutboxMessage
from tests.agreements.contract import ANNEX1, SIGNATURE, Parties
from tests.support.platform import Platform, eventually


async def test_both_parties_sign_and_each_signature_is_recorded__DPA_1(
    parties: Parties, platform: Platform
) -> None:
    draft = await parties.draft()
    assert (draft["controller_id"], draft["processor_id"]) == (
        parties.controller,
        parties.processor,
    )
    assert draft["status"] == "draft"
    assert draft["annex1"]["data_categories"][0]["retention_days"] == 365
    url = f"/agreements/{draft['id']}"

    first = await parties.client.post(
        f"{url}/signatures", json=SIGNATURE, headers=parties.processor_admin()
    )
    assert first.json()["status"] == "draft"
    second = await parties.client.post(
        f"{url}/signatures", json=SIGNATURE, headers=parties.controller_admin()
    )
    assert second.json()["status"] == "signed"
    assert second.json()["awaiting_signature"] is None

    versions = await parties.client.get(
        f"{url}/versions", headers=parties.as_(parties.controller, Role.auditor)
    )
    [version] = versions.json()["items"]
    assert version["status"] == "in_force"
    assert {s["party"]: s["organisation_id"] for s in version["signatures"]} == {
        "controller": parties.controller,
        "processor": parties.processor,
    }

    async def both_signatures() -> list[AuditEntry]:
        entries = await platform.audit_entries(
            organisation_id=parties.controller, event_type="dpa.agreements.agreement.signed.v1"
        )
        return entries if len(entries) == 2 else []

    signed = await eventually(both_signatures)
    # the processor's signature shows in the controller's log as the supplier's act (TOM-T3c)
    assert {e.actor_organisation_id for e in signed} == {parties.controller, parties.processor}


async def test_signing_twice_is_a_conflict_and_changes_nothing__DPA_1(parties: Parties) -> None:
    draft = await parties.draft()
    url = f"/agreements/{draft['id']}/signatures"
    assert (
        await parties.client.post(url, json=SIGNATURE, headers=parties.controller_admin())
    ).status_code == 200
    again = await parties.client.post(url, json=SIGNATURE, headers=parties.controller_admin())
    assert again.status_code == 409
    assert "already signed" in again.json()["detail"]
    assert await parties.platform.count("agreements", Signature) == 1


async def test_incomplete_annex1_cannot_be_signed__DPA_1(parties: Parties) -> None:
    response = await parties.client.post(
        "/agreements",
        json={"title": "Bare", "counterparty_id": parties.processor},
        headers=parties.controller_admin(),
    )
    refused = await parties.client.post(
        f"/agreements/{response.json()['id']}/signatures",
        json=SIGNATURE,
        headers=parties.controller_admin(),
    )
    assert refused.status_code == 422
    assert "Annex 1 is incomplete" in refused.json()["detail"]
    assert await parties.platform.count("agreements", Signature) == 0


async def test_a_draft_without_a_counterparty_cannot_be_signed(parties: Parties) -> None:
    response = await parties.client.post(
        "/agreements", json={"title": "Alone", "annex1": ANNEX1}, headers=parties.controller_admin()
    )
    refused = await parties.client.post(
        f"/agreements/{response.json()['id']}/signatures",
        json=SIGNATURE,
        headers=parties.controller_admin(),
    )
    assert refused.status_code == 409
    assert "counterparty_id" in refused.json()["detail"]


async def test_a_signed_draft_cannot_be_edited_in_place__DPA_1(parties: Parties) -> None:
    draft = await parties.draft()
    url = f"/agreements/{draft['id']}"
    edited = await parties.client.patch(
        url,
        json={"annex1": {**ANNEX1, "purpose": "Newsletters"}},
        headers=parties.processor_admin(),
    )
    assert edited.status_code == 200
    assert edited.json()["annex1"]["purpose"] == "Newsletters"
    await parties.client.post(
        f"{url}/signatures", json=SIGNATURE, headers=parties.controller_admin()
    )
    before = await parties.platform.count("agreements", OutboxMessage)
    refused = await parties.client.patch(
        url, json={"annex1": ANNEX1}, headers=parties.processor_admin()
    )
    assert refused.status_code == 409
    assert await parties.platform.count("agreements", OutboxMessage) == before


async def test_amendment_needs_both_signatures_and_never_overwrites_the_signed_version__DPA_1(
    parties: Parties,
) -> None:
    agreement_id = await parties.active()
    url = f"/agreements/{agreement_id}"
    changed = {**ANNEX1, "purpose": "Planning appointments and sending reminders"}
    proposed = await parties.client.post(
        f"{url}/amendments",
        json={"reason": "reminders by SMS", "annex1": changed},
        headers=parties.processor_admin(),
    )
    assert proposed.status_code == 201, proposed.text
    assert proposed.json()["awaiting_signature"] == 2
    assert proposed.json()["annex1"]["purpose"] == ANNEX1["purpose"]  # v1 stays in force

    second = await parties.client.post(
        f"{url}/amendments",
        json={"reason": "again", "annex1": ANNEX1},
        headers=parties.controller_admin(),
    )
    assert second.status_code == 409

    await parties.client.post(
        f"{url}/signatures", json=SIGNATURE, headers=parties.processor_admin()
    )
    done = await parties.client.post(
        f"{url}/signatures", json=SIGNATURE, headers=parties.controller_admin()
    )
    assert done.json()["version"] == 2
    assert done.json()["annex1"]["purpose"] == changed["purpose"]
    assert done.json()["status"] == "active"

    versions = (
        await parties.client.get(f"{url}/versions", headers=parties.processor_admin())
    ).json()
    assert [(v["number"], v["status"]) for v in versions["items"]] == [
        (1, "superseded"),
        (2, "in_force"),
    ]
    assert versions["items"][0]["annex1"]["purpose"] == ANNEX1["purpose"]
    assert len(versions["items"][0]["signatures"]) == 2
    assert await parties.platform.count("agreements", AgreementVersion) == 2


async def test_terminated_agreement_cannot_be_amended_or_signed(parties: Parties) -> None:
    agreement_id = await parties.active()
    url = f"/agreements/{agreement_id}"
    ended = await parties.client.post(
        f"{url}/termination", json={"reason": "contract ends"}, headers=parties.controller_admin()
    )
    assert ended.json()["status"] == "terminated"
    amend = await parties.client.post(
        f"{url}/amendments",
        json={"reason": "late", "annex1": ANNEX1},
        headers=parties.controller_admin(),
    )
    assert amend.status_code == 409
    assert "terminated" in amend.json()["detail"]
    again = await parties.client.post(
        f"{url}/termination", json={"reason": "twice"}, headers=parties.controller_admin()
    )
    assert again.status_code == 409


async def test_members_and_auditors_read_but_cannot_sign__TOM_T2e_DPA_11(parties: Parties) -> None:
    draft = await parties.draft()
    for role in (Role.member, Role.auditor):
        headers = parties.as_(parties.processor, role)
        assert (
            await parties.client.get(f"/agreements/{draft['id']}", headers=headers)
        ).status_code == 200
        refused = await parties.client.post(
            f"/agreements/{draft['id']}/signatures", json=SIGNATURE, headers=headers
        )
        assert refused.status_code == 403
    assert await parties.platform.count("agreements", Signature) == 0


async def test_a_stranger_cannot_sign_or_see_the_agreement__ASVS_8_4_1(parties: Parties) -> None:
    draft = await parties.draft()
    stranger = parties.platform.auth(str(uuid.uuid4()))
    for response in (
        await parties.client.post(
            f"/agreements/{draft['id']}/signatures", json=SIGNATURE, headers=stranger
        ),
        await parties.client.get(f"/agreements/{draft['id']}/versions", headers=stranger),
        await parties.client.patch(
            f"/agreements/{draft['id']}", json={"title": "x"}, headers=stranger
        ),
    ):
        assert response.status_code == 404
    assert await parties.platform.count("agreements", Signature) == 0


async def test_an_amendment_can_be_declined_and_the_signed_version_stays__DPA_1(
    parties: Parties,
) -> None:
    agreement_id = await parties.active()
    url = f"/agreements/{agreement_id}"
    proposed = await parties.client.post(
        f"{url}/amendments",
        json={"reason": "shorter notice", "terms": {"notice_days": 10}},
        headers=parties.processor_admin(),
    )
    number = proposed.json()["awaiting_signature"]
    declined = await parties.client.post(
        f"{url}/amendments/{number}/withdrawal", headers=parties.controller_admin()
    )
    assert declined.status_code == 200
    assert declined.json()["awaiting_signature"] is None
    assert declined.json()["terms"]["notice_days"] == 30
    again = await parties.client.post(
        f"{url}/amendments/{number}/withdrawal", headers=parties.controller_admin()
    )
    assert again.status_code == 409
    nothing = await parties.client.post(
        f"{url}/signatures", json=SIGNATURE, headers=parties.controller_admin()
    )
    assert nothing.status_code == 409
    versions = (
        await parties.client.get(f"{url}/versions", headers=parties.controller_admin())
    ).json()
    assert [(v["number"], v["status"]) for v in versions["items"]] == [
        (1, "in_force"),
        (2, "withdrawn"),
    ]
    next_one = await parties.client.post(
        f"{url}/amendments",
        json={"reason": "longer notice", "terms": {"notice_days": 60}},
        headers=parties.controller_admin(),
    )
    assert next_one.json()["awaiting_signature"] == 3


async def test_each_signature_records_date_place_signer_and_capacity__DPA_20(
    parties: Parties,
) -> None:
    draft = await parties.draft()
    url = f"/agreements/{draft['id']}"
    blocks = {
        "controller": {
            "place": "Utopia",
            "signer_name": "An Peeters",
            "signer_role": "burgemeester",
        },
        "processor": {"place": "Gent", "signer_name": "Sofie Maes", "signer_role": "zaakvoerder"},
    }
    for party, headers in (
        ("controller", parties.controller_admin()),
        ("processor", parties.processor_admin()),
    ):
        signed = await parties.client.post(f"{url}/signatures", json=blocks[party], headers=headers)
        assert signed.status_code == 200, signed.text
    [version] = (
        await parties.client.get(f"{url}/versions", headers=parties.controller_admin())
    ).json()["items"]
    for signature in version["signatures"]:
        block = blocks[signature["party"]]
        assert {k: signature[k] for k in block} == block
        assert datetime.fromisoformat(signature["signed_at"]).date() == datetime.now(UTC).date()


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({}, "Field required"),
        (SIGNATURE | {"place": "  "}, "at least 1 character"),
        ({k: v for k, v in SIGNATURE.items() if k != "signer_role"}, "signer_role"),
        (SIGNATURE | {"signer_name": "x" * 201}, "at most 200 characters"),
        (SIGNATURE | {"date": "2026-01-01"}, "Extra inputs"),
    ],
)
async def test_a_signature_without_its_block_gets_422_and_changes_nothing__DPA_20(
    parties: Parties, block: dict[str, Any], message: str
) -> None:
    draft = await parties.draft()
    before = await parties.platform.count("agreements", OutboxMessage)
    response = await parties.client.post(
        f"/agreements/{draft['id']}/signatures", json=block, headers=parties.controller_admin()
    )
    assert response.status_code == 422
    assert message in response.text
    assert await parties.platform.count("agreements", Signature) == 0
    assert await parties.platform.count("agreements", OutboxMessage) == before
