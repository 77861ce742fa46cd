"""Subprocessor changes end to end over HTTP, with the events on a real nats-server (DPA-5)."""

import uuid
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import update

from services.agreements import sweep
from services.agreements.subprocessors.store import SubprocessorChange, SubprocessorNotice
from shared.auth import Role
from shared.outbox import OutboxMessage
from tests.agreements.contract import Parties
from tests.support.platform import Platform, eventually

CHANGE: dict[str, Any] = {
    "kind": "add",
    "name": "Hosting NV",
    "service": "managed database hosting",
    "location": "Brussels, BE",
    "transfer_mechanism": "none: inside the EEA",
    "data_categories": ["identification data"],
    "effective_date": (date.today() + timedelta(days=40)).isoformat(),
}


async def _propose(parties: Parties, **overrides: Any) -> dict[str, Any]:
    response = await parties.client.post(
        "/subprocessor-changes", json=CHANGE | overrides, headers=parties.processor_admin()
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _notice(parties: Parties, agreement_id: str) -> dict[str, Any]:
    response = await parties.client.get(
        f"/agreements/{agreement_id}/subprocessor-notices", headers=parties.controller_admin()
    )
    [notice] = response.json()["items"]
    assert isinstance(notice, dict)
    return notice


async def test_general_authorisation_notifies_the_controller_with_a_30_day_window__DPA_5_USE_3(
    parties: Parties, platform: Platform
) -> None:
    agreement_id = await parties.active()
    change = await _propose(parties)
    [notice] = change["notices"]
    assert notice["agreement_id"] == agreement_id
    deadline = datetime.fromisoformat(notice["objection_deadline"])
    notified = datetime.fromisoformat(notice["notified_at"])
    assert deadline - notified == timedelta(days=30)
    assert notice["window_open"] is True

    [entry] = await eventually(
        lambda: platform.audit_entries(
            organisation_id=parties.controller,
            event_type="dpa.agreements.subprocessor_notice.issued.v1",
        )
    )
    assert entry.subject == agreement_id
    for field in ("subprocessor", "service", "location", "transfer_mechanism"):
        assert (
            entry.data[field] == change[{"subprocessor": "name"}.get(field, field)]
        )  # as registered
    receipts = await eventually(
        lambda: platform.receipts(
            organisation_id=parties.controller,
            event_type="dpa.agreements.subprocessor_notice.issued.v1",
        )
    )
    assert len(receipts) == 1


async def test_objection_blocks_the_change_until_lifted__DPA_5(parties: Parties) -> None:
    agreement_id = await parties.active(silence_is_acceptance=True)
    change = await _propose(parties, effective_date=date.today().isoformat())
    notice_id = change["notices"][0]["id"]
    url = f"/agreements/{agreement_id}/subprocessor-notices/{notice_id}"

    objected = await parties.client.post(
        f"{url}/objection", json={"reason": "no transfers"}, headers=parties.controller_admin()
    )
    assert objected.json()["decision"] == "objected"
    listed = await parties.client.get(
        f"/processors/{parties.processor}/subprocessors", headers=parties.controller_admin()
    )
    assert listed.json()["current"] == []
    history = listed.json()["history"]
    assert history[0]["notices"][0]["reason"] == "no transfers"

    # the deadline passing does not turn an objection into acceptance
    settled = await sweep.apply_due(
        parties.platform.runtime("agreements"), now=datetime.now(UTC) + timedelta(days=31)
    )
    assert settled["objection_windows"] == 0
    approved = await parties.client.post(f"{url}/approval", headers=parties.controller_admin())
    assert approved.json()["decision"] == "approved"
    listed = await parties.client.get(
        f"/processors/{parties.processor}/subprocessors",
        headers=parties.as_(parties.controller, Role.auditor),
    )
    assert [c["name"] for c in listed.json()["current"]] == ["Hosting NV"]


async def test_silence_is_acceptance_only_where_the_agreement_says_so__DPA_5(
    parties: Parties, platform: Platform
) -> None:
    deemed = await parties.active(silence_is_acceptance=True)
    other = Parties(platform, processor=parties.processor)
    silent = await other.active(silence_is_acceptance=False)
    await _propose(parties)

    later = datetime.now(UTC) + timedelta(days=30, seconds=1)
    runtime = platform.runtime("agreements")
    assert (await sweep.apply_due(runtime, now=later))["objection_windows"] == 2
    assert (await sweep.apply_due(runtime, now=later))["objection_windows"] == 0  # idempotent

    assert (await _notice(parties, deemed))["decision"] == "accepted"
    waiting = await _notice(other, silent)
    assert waiting["decision"] == "pending"

    for organisation, verb in ((parties.controller, "accepted"), (other.controller, "expired")):
        event_type = f"dpa.agreements.subprocessor_notice.{verb}.v1"
        [entry] = await eventually(
            partial(platform.audit_entries, organisation_id=organisation, event_type=event_type)
        )
        assert entry.actor_type == "system"


async def test_objecting_after_the_deadline_is_refused_and_changes_nothing__DPA_5(
    parties: Parties,
) -> None:
    agreement_id = await parties.active()
    change = await _propose(parties)
    notice_id = change["notices"][0]["id"]
    async with parties.platform.runtime("agreements").sessions() as session, session.begin():
        await session.execute(
            update(SubprocessorNotice).values(
                objection_deadline=datetime.now(UTC) - timedelta(seconds=1)
            )
        )
    before = await parties.platform.count("agreements", OutboxMessage)
    late = await parties.client.post(
        f"/agreements/{agreement_id}/subprocessor-notices/{notice_id}/objection",
        json={"reason": "too late"},
        headers=parties.controller_admin(),
    )
    assert late.status_code == 409
    assert "window has closed" in late.json()["detail"]
    assert await parties.platform.count("agreements", OutboxMessage) == before


async def test_specific_authorisation_needs_explicit_approval__DPA_5(parties: Parties) -> None:
    agreement_id = await parties.active(authorisation="specific", silence_is_acceptance=True)
    change = await _propose(parties, effective_date=date.today().isoformat())
    [notice] = change["notices"]
    assert notice["objection_deadline"] is None
    await sweep.apply_due(
        parties.platform.runtime("agreements"), now=datetime.now(UTC) + timedelta(days=400)
    )
    assert (await _notice(parties, agreement_id))["decision"] == "pending"
    listed = await parties.client.get(
        f"/processors/{parties.processor}/subprocessors", headers=parties.processor_admin()
    )
    assert listed.json()["current"] == []


async def test_only_the_controller_decides_and_only_the_processor_proposes__DPA_5(
    parties: Parties,
) -> None:
    agreement_id = await parties.active()
    change = await _propose(parties)
    notice_id = change["notices"][0]["id"]
    url = f"/agreements/{agreement_id}/subprocessor-notices/{notice_id}"
    by_processor = await parties.client.post(f"{url}/approval", headers=parties.processor_admin())
    assert by_processor.status_code == 403
    by_member = await parties.client.post(
        f"{url}/approval", headers=parties.as_(parties.controller, Role.member)
    )
    assert by_member.status_code == 403
    stranger = await parties.client.post(
        f"{url}/approval", headers=parties.platform.auth(str(uuid.uuid4()))
    )
    assert stranger.status_code == 404
    foreign_list = await parties.client.get(
        f"/processors/{parties.processor}/subprocessors",
        headers=parties.platform.auth(str(uuid.uuid4())),
    )
    assert foreign_list.status_code == 404
    assert (await _notice(parties, agreement_id))["decision"] == "pending"


async def test_withdrawing_a_change_resolves_objections__DPA_5(parties: Parties) -> None:
    agreement_id = await parties.active()
    change = await _propose(parties)
    notice_id = change["notices"][0]["id"]
    await parties.client.post(
        f"/agreements/{agreement_id}/subprocessor-notices/{notice_id}/objection",
        json={"reason": "no"},
        headers=parties.controller_admin(),
    )
    withdrawn = await parties.client.post(
        f"/subprocessor-changes/{change['id']}/withdrawal", headers=parties.processor_admin()
    )
    assert withdrawn.status_code == 200
    assert (await _notice(parties, agreement_id))["decision"] == "withdrawn"
    again = await parties.client.post(
        f"/subprocessor-changes/{change['id']}/withdrawal", headers=parties.processor_admin()
    )
    assert again.status_code == 409


async def test_replacement_ends_the_replaced_subprocessor_once_agreed__DPA_5(
    parties: Parties,
) -> None:
    agreement_id = await parties.active(authorisation="specific")
    today = date.today().isoformat()
    first = await _propose(parties, effective_date=today)
    base = f"/agreements/{agreement_id}/subprocessor-notices"
    await parties.client.post(
        f"{base}/{first['notices'][0]['id']}/approval", headers=parties.controller_admin()
    )
    second = await _propose(
        parties, kind="replace", replaces_id=first["id"], name="Cloud BV", effective_date=today
    )
    await parties.client.post(
        f"{base}/{second['notices'][0]['id']}/approval", headers=parties.controller_admin()
    )
    listed = await parties.client.get(
        f"/processors/{parties.processor}/subprocessors", headers=parties.controller_admin()
    )
    assert [c["name"] for c in listed.json()["current"]] == ["Cloud BV"]
    assert [c["name"] for c in listed.json()["history"]] == ["Hosting NV", "Cloud BV"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kind": "replace"}, "replaces_id"),
        ({"replaces_id": str(uuid.uuid4())}, "replaces_id"),
        ({"kind": "replace", "replaces_id": str(uuid.uuid4())}, "not one of your subprocessors"),
        ({"effective_date": "2000-01-01"}, "in the past"),
        ({"data_categories": []}, "at least 1 item"),
        ({"name": "  "}, "at least 1 character"),
        ({"location": None}, "valid string"),
        ({"effective_date": "tomorrow"}, "valid date"),
    ],
)
async def test_invalid_change_gets_422_and_changes_nothing(
    parties: Parties, overrides: dict[str, Any], message: str
) -> None:
    response = await parties.client.post(
        "/subprocessor-changes", json=CHANGE | overrides, headers=parties.processor_admin()
    )
    assert response.status_code == 422
    assert message in response.text
    assert await parties.platform.count("agreements", SubprocessorChange) == 0
    assert await parties.platform.count("agreements", OutboxMessage) == 0
