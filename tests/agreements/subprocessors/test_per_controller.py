"""Subprocessor authorisation per controller (DPA-5) and flow-down agreements (DPA-17), over HTTP.

What holds for an agreement comes from its own controller: the list in the version it signed and
its own decisions on later changes; another controller's approval never counts for it.
"""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.agreements import domain
from services.agreements.subprocessors.store import FlowDownAgreement, SubprocessorNotice
from shared.auth import Role
from shared.outbox import OutboxMessage
from tests.agreements.contract import SIGNATURE, Parties
from tests.support.platform import Platform, eventually


def _today() -> str:
    """Brussels or not, the service judges dates in UTC; taken when the case runs, not when the
    module is imported (a run that crosses midnight made every change look back-dated)."""
    return datetime.now(UTC).date().isoformat()


CHANGE: dict[str, Any] = {
    "kind": "add",
    "name": "Hosting NV",
    "service": "managed database hosting",
    "location": "Brussels, BE",
    "transfer_mechanism": "none: inside the EEA",
    "data_categories": ["identification data"],
}
FLOW_DOWN: dict[str, Any] = {
    "reference": "SUB-2026-014",
    "same_obligations": True,
    "guarantees": "ISO 27001; encryption at rest; audit right flowed down",
    "transfers_outside_eea": True,
    "transfer_countries": ["United States"],
    "transfer_basis": "standard contractual clauses 2021/914, module 3",
}


async def _propose(parties: Parties, **overrides: Any) -> dict[str, Any]:
    response = await parties.client.post(
        "/subprocessor-changes",
        json=CHANGE | {"effective_date": _today()} | overrides,
        headers=parties.processor_admin(),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _in_force(parties: Parties, agreement_id: str, headers: dict[str, str]) -> list[str]:
    response = await parties.client.get(
        f"/agreements/{agreement_id}/subprocessors", headers=headers
    )
    assert response.status_code == 200, response.text
    return [str(entry["name"]) for entry in response.json()["in_force"]]


async def _current(parties: Parties, headers: dict[str, str]) -> list[str]:
    response = await parties.client.get(
        f"/processors/{parties.processor}/subprocessors", headers=headers
    )
    assert response.status_code == 200, response.text
    return [entry["name"] for entry in response.json()["current"]]


def _notice_for(change: dict[str, Any], agreement_id: str) -> str:
    [notice] = [n for n in change["notices"] if n["agreement_id"] == agreement_id]
    return str(notice["id"])


async def test_probe_p1_one_controllers_approval_never_puts_a_change_in_force_for_another__DPA_5(
    parties: Parties, platform: Platform
) -> None:
    a = await parties.active()
    other = Parties(platform, processor=parties.processor)
    b = await other.active()
    change = await _propose(parties)
    approved = await parties.client.post(
        f"/agreements/{a}/subprocessor-notices/{_notice_for(change, a)}/approval",
        headers=parties.controller_admin(),
    )
    assert approved.status_code == 200
    objected = await other.client.post(
        f"/agreements/{b}/subprocessor-notices/{_notice_for(change, b)}/objection",
        json={"reason": "no new hosting"},
        headers=other.controller_admin(),
    )
    assert objected.status_code == 200

    assert await _current(other, other.controller_admin()) == []
    assert await _in_force(other, b, other.controller_admin()) == []
    assert await _in_force(other, b, other.processor_admin()) == []  # what it may use for B
    assert await _current(parties, parties.controller_admin()) == ["Hosting NV"]
    [held] = (
        await parties.client.get(
            f"/agreements/{a}/subprocessors", headers=parties.controller_admin()
        )
    ).json()["in_force"]
    assert held["basis"] == "approved"
    assert await _current(parties, parties.processor_admin()) == ["Hosting NV"]


async def test_probe_p2_the_list_at_signing_is_part_of_the_signed_version_and_its_digest__DPA_5(
    parties: Parties, platform: Platform
) -> None:
    before = await _propose(parties)  # no agreement yet: nobody to notify
    assert before["notices"] == []
    agreement_id = str((await parties.draft())["id"])
    shown = (
        await parties.client.get(
            f"/agreements/{agreement_id}/versions", headers=parties.controller_admin()
        )
    ).json()["items"][0]
    assert [s["name"] for s in shown["subprocessors"]] == ["Hosting NV"]  # before signing

    signed = await parties.client.post(
        f"/agreements/{agreement_id}/signatures",
        json=SIGNATURE,
        headers=parties.controller_admin(),
    )
    assert signed.status_code == 200
    after_first = await _propose(parties, name="Backup BV")  # between the two signatures
    assert after_first["notices"] == []
    signed = await parties.client.post(
        f"/agreements/{agreement_id}/signatures",
        json=SIGNATURE,
        headers=parties.processor_admin(),
    )
    assert signed.status_code == 200

    [version] = (
        await parties.client.get(
            f"/agreements/{agreement_id}/versions", headers=parties.controller_admin()
        )
    ).json()["items"]
    assert [s["name"] for s in version["subprocessors"]] == ["Hosting NV"]
    digest = domain.version_digest(
        annex1=version["annex1"], terms=version["terms"], subprocessors=version["subprocessors"]
    )
    assert version["sha256"] == digest
    assert [s["version_sha256"] for s in version["signatures"]] == [digest, digest]

    held = (
        await parties.client.get(
            f"/agreements/{agreement_id}/subprocessors", headers=parties.controller_admin()
        )
    ).json()
    assert [(e["name"], e["basis"]) for e in held["in_force"]] == [("Hosting NV", "signed")]
    assert [s["name"] for s in held["at_signing"]] == ["Hosting NV"]
    # the change the controller did not sign reached it as a notice, and waits for it
    [notice] = (
        await parties.client.get(
            f"/agreements/{agreement_id}/subprocessor-notices", headers=parties.controller_admin()
        )
    ).json()["items"]
    assert notice["change"]["name"] == "Backup BV"
    assert notice["decision"] == "pending"

    async def both_signed() -> list[str]:
        entries = await platform.audit_entries(
            organisation_id=parties.controller, event_type="dpa.agreements.agreement.signed.v1"
        )
        return [str(e.data["version_sha256"]) for e in entries] if len(entries) == 2 else []

    assert await eventually(both_signed) == [digest, digest]


async def test_the_processor_records_how_an_objection_was_closed__DPA_5(
    parties: Parties, platform: Platform
) -> None:
    agreement_id = await parties.active()
    change = await _propose(parties)
    notice_id = _notice_for(change, agreement_id)
    url = f"/agreements/{agreement_id}/subprocessor-notices/{notice_id}"
    premature = await parties.client.post(
        f"{url}/resolution", json={"outcome": "processing_moved"}, headers=parties.processor_admin()
    )
    assert premature.status_code == 409  # nothing objected yet
    await parties.client.post(
        f"{url}/objection", json={"reason": "no"}, headers=parties.controller_admin()
    )
    not_ended = await parties.client.post(
        f"{url}/resolution", json={"outcome": "agreement_ended"}, headers=parties.processor_admin()
    )
    assert not_ended.status_code == 409
    assert "terminate the agreement first" in not_ended.json()["detail"]
    by_controller = await parties.client.post(
        f"{url}/resolution",
        json={"outcome": "processing_moved"},
        headers=parties.controller_admin(),
    )
    assert by_controller.status_code == 403

    moved = await parties.client.post(
        f"{url}/resolution",
        json={"outcome": "processing_moved", "note": "their data stays on our own servers"},
        headers=parties.processor_admin(),
    )
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["decision"], body["resolution"]) == ("objected", "processing_moved")
    assert body["resolution_note"] == "their data stays on our own servers"
    again = await parties.client.post(
        f"{url}/resolution", json={"outcome": "processing_moved"}, headers=parties.processor_admin()
    )
    assert again.status_code == 409
    assert await _in_force(parties, agreement_id, parties.controller_admin()) == []
    [entry] = await eventually(
        lambda: platform.audit_entries(
            organisation_id=parties.controller,
            event_type="dpa.agreements.subprocessor_objection.closed.v1",
        )
    )
    assert entry.data["outcome"] == "processing_moved"


async def test_an_objection_closed_by_ending_the_agreement_or_withdrawing_the_change__DPA_5(
    parties: Parties, platform: Platform
) -> None:
    ended = await parties.active()
    other = Parties(platform, processor=parties.processor)
    kept = await other.active()
    change = await _propose(parties)
    for who, agreement_id in ((parties, ended), (other, kept)):
        await who.client.post(
            f"/agreements/{agreement_id}/subprocessor-notices/"
            f"{_notice_for(change, agreement_id)}/objection",
            json={"reason": "no"},
            headers=who.controller_admin(),
        )
    await parties.client.post(
        f"/agreements/{ended}/termination",
        json={"reason": "objection to Hosting NV"},
        headers=parties.processor_admin(),
    )
    closed = await parties.client.post(
        f"/agreements/{ended}/subprocessor-notices/{_notice_for(change, ended)}/resolution",
        json={"outcome": "agreement_ended"},
        headers=parties.processor_admin(),
    )
    assert closed.json()["resolution"] == "agreement_ended"
    withdrawal_by_outcome = await parties.client.post(
        f"/agreements/{kept}/subprocessor-notices/{_notice_for(change, kept)}/resolution",
        json={"outcome": "change_withdrawn"},
        headers=parties.processor_admin(),
    )
    assert withdrawal_by_outcome.status_code == 422  # a withdrawal is its own step
    await parties.client.post(
        f"/subprocessor-changes/{change['id']}/withdrawal", headers=parties.processor_admin()
    )
    [notice] = (
        await other.client.get(
            f"/agreements/{kept}/subprocessor-notices", headers=other.controller_admin()
        )
    ).json()["items"]
    assert (notice["decision"], notice["resolution"]) == ("withdrawn", "change_withdrawn")


async def test_flow_down_agreement_is_recorded_by_the_processor_and_shown_to_controllers__DPA_17(
    parties: Parties, platform: Platform
) -> None:
    agreement_id = await parties.active()
    change = await _propose(parties)
    await parties.client.post(
        f"/agreements/{agreement_id}/subprocessor-notices/"
        f"{_notice_for(change, agreement_id)}/approval",
        headers=parties.controller_admin(),
    )
    by_controller = await parties.client.post(
        f"/subprocessor-changes/{change['id']}/flow-down",
        json=FLOW_DOWN | {"signed_on": _today()},
        headers=parties.controller_admin(),
    )
    assert by_controller.status_code == 404  # not its subprocessor
    recorded = await parties.client.post(
        f"/subprocessor-changes/{change['id']}/flow-down",
        json=FLOW_DOWN | {"signed_on": _today()},
        headers=parties.processor_admin(),
    )
    assert recorded.status_code == 201, recorded.text
    for headers in (parties.controller_admin(), parties.as_(parties.controller, Role.auditor)):
        [held] = (
            await parties.client.get(f"/agreements/{agreement_id}/subprocessors", headers=headers)
        ).json()["in_force"]
        flow_down = held["flow_down"]
        assert flow_down["reference"] == "SUB-2026-014"
        assert flow_down["transfer_countries"] == ["United States"]
        assert flow_down["transfer_basis"].startswith("standard contractual clauses")
    listed = (
        await parties.client.get(
            f"/processors/{parties.processor}/subprocessors", headers=parties.controller_admin()
        )
    ).json()
    assert listed["current"][0]["flow_down"]["same_obligations"] is True
    [entry] = await eventually(
        lambda: platform.audit_entries(
            organisation_id=parties.processor,
            event_type="dpa.agreements.subprocessor_flow_down.created.v1",
        )
    )
    assert entry.data["transfers_outside_eea"] is True
    assert "SUB-2026-014" not in str(entry.data)  # no free text in events


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"same_obligations": False}, "same_obligations"),
        ({"transfer_basis": None}, "transfer outside the EEA names"),
        ({"transfer_countries": []}, "transfer outside the EEA names"),
        ({"transfers_outside_eea": False}, "for transfers outside the EEA only"),
        ({"signed_on": (date.today() + timedelta(days=2)).isoformat()}, "in the future"),
        ({"reference": " "}, "at least 1 character"),
        ({"guarantees": ""}, "at least 1 character"),
    ],
)
async def test_an_invalid_flow_down_agreement_gets_422_and_changes_nothing__DPA_17(
    parties: Parties, overrides: dict[str, Any], message: str
) -> None:
    change = await _propose(parties)
    before = await parties.platform.count("agreements", OutboxMessage)
    response = await parties.client.post(
        f"/subprocessor-changes/{change['id']}/flow-down",
        json=FLOW_DOWN | {"signed_on": _today()} | overrides,
        headers=parties.processor_admin(),
    )
    assert response.status_code == 422
    assert message in response.text
    assert await parties.platform.count("agreements", FlowDownAgreement) == 0
    assert await parties.platform.count("agreements", OutboxMessage) == before


async def test_a_stranger_sees_no_subprocessors_of_an_agreement__DPA_5(parties: Parties) -> None:
    agreement_id = await parties.active()
    stranger = await parties.client.get(
        f"/agreements/{agreement_id}/subprocessors",
        headers=parties.platform.auth(str(uuid.uuid4())),
    )
    assert stranger.status_code == 404
    assert await parties.platform.count("agreements", SubprocessorNotice) == 0
