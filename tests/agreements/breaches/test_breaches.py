"""Breach reports end to end over HTTP: who is notified, both clocks, phases (TOM-O4, art. 33)."""

import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from services.agreements import sweep
from services.agreements.breaches.store import Breach, BreachNotice
from shared.auth import Role
from shared.outbox import OutboxMessage
from tests.agreements.contract import ANNEX1, SIGNATURE, Parties
from tests.support.platform import Platform, eventually


def breach(**overrides: Any) -> dict[str, Any]:
    return {
        "aware_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        "nature": "Lost laptop with an unencrypted export",
        "data_categories": ["Contact  Data"],
        "data_subject_categories": ["citizens"],
        "approx_data_subjects": 120,
        "approx_records": 480,
        "consequences": "Phishing risk",
        "measures": "Remote wipe requested; passwords rotated",
        "contact_point": "dpo@ibeauty.example",
    } | overrides


async def _report(parties: Parties, **overrides: Any) -> dict[str, Any]:
    response = await parties.client.post(
        "/breaches", json=breach(**overrides), headers=parties.processor_admin()
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_breach_notifies_controllers_whose_data_it_touches__TOM_O4_USE_3(
    parties: Parties, platform: Platform
) -> None:
    touched = await parties.active()
    unrelated = Parties(platform, processor=parties.processor)
    await unrelated.introduce()
    other_annex = ANNEX1 | {"data_categories": [{"name": "payment data"}]}
    response = await unrelated.client.post(
        "/agreements",
        json={"title": "Other", "counterparty_id": parties.processor, "annex1": other_annex},
        headers=unrelated.controller_admin(),
    )
    for headers in (unrelated.controller_admin(), unrelated.processor_admin()):
        await unrelated.client.post(
            f"/agreements/{response.json()['id']}/signatures", json=SIGNATURE, headers=headers
        )

    reported = await _report(parties)
    [notice] = reported["notices"]
    assert notice["agreement_id"] == touched
    assert notice["controller_id"] == parties.controller
    notified = datetime.fromisoformat(notice["notified_at"])
    assert datetime.fromisoformat(notice["authority_deadline"]) - notified == timedelta(hours=72)
    assert notice["processor_late"] is False

    [entry] = await eventually(
        partial(
            platform.audit_entries,
            organisation_id=parties.controller,
            event_type="dpa.agreements.breach_notice.issued.v1",
        )
    )
    assert entry.subject == touched
    await eventually(
        partial(
            platform.receipts,
            organisation_id=parties.controller,
            event_type="dpa.agreements.breach_notice.issued.v1",
        )
    )
    assert "dpa.agreements.breach_notice.issued.v1" not in {
        r.event_type for r in await platform.receipts(organisation_id=unrelated.controller)
    }
    hidden = await unrelated.client.get(
        f"/breaches/{reported['id']}", headers=unrelated.controller_admin()
    )
    assert hidden.status_code == 404


async def test_breach_events_carry_no_contact_point_or_free_text__TOM_O4(parties: Parties) -> None:
    await parties.active()
    await _report(parties)
    async with parties.platform.runtime("agreements").sessions() as session:
        envelopes = (await session.scalars(select(col(OutboxMessage.envelope)))).all()
    for text in ("dpo@ibeauty.example", "Lost laptop", "Phishing", "Remote wipe"):
        assert all(text not in envelope for envelope in envelopes)


async def test_late_processor_notification_is_visible__TOM_O4(parties: Parties) -> None:
    await parties.active(breach_notice_hours=24)
    aware = (datetime.now(UTC) - timedelta(hours=30)).isoformat()
    reported = await _report(parties, aware_at=aware)
    assert reported["notices"][0]["processor_late"] is True


async def test_controller_records_the_authority_notification_within_72_hours__TOM_O4(
    parties: Parties, platform: Platform
) -> None:
    await parties.active()
    reported = await _report(parties)
    notice_id = reported["notices"][0]["id"]
    url = f"/breach-notices/{notice_id}/authority-notification"

    by_processor = await parties.client.post(
        url, json={"notified_authority": False, "reason": "x"}, headers=parties.processor_admin()
    )
    assert by_processor.status_code == 404
    no_reason = await parties.client.post(
        url, json={"notified_authority": False}, headers=parties.controller_admin()
    )
    assert no_reason.status_code == 422
    future = await parties.client.post(
        url,
        json={
            "notified_authority": True,
            "notified_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        },
        headers=parties.controller_admin(),
    )
    assert future.status_code == 422
    done = await parties.client.post(
        url,
        json={"notified_authority": True, "notified_at": datetime.now(UTC).isoformat()},
        headers=parties.controller_admin(),
    )
    assert done.status_code == 200, done.text
    assert done.json()["authority_status"] == "notified"
    assert done.json()["authority_late"] is False
    twice = await parties.client.post(
        url, json={"notified_authority": False, "reason": "x"}, headers=parties.controller_admin()
    )
    assert twice.status_code == 409
    await eventually(
        partial(
            platform.audit_entries,
            organisation_id=parties.controller,
            event_type="dpa.agreements.authority_notification.reported.v1",
        )
    )


async def test_the_72_hour_clock_running_out_is_flagged_once__TOM_O4(
    parties: Parties, platform: Platform
) -> None:
    await parties.active()
    reported = await _report(parties)
    runtime = platform.runtime("agreements")
    later = datetime.now(UTC) + timedelta(hours=72, seconds=1)
    assert (await sweep.apply_due(runtime, now=later))["breach_clocks"] == 1
    assert (await sweep.apply_due(runtime, now=later))["breach_clocks"] == 0
    [entry] = await eventually(
        partial(
            platform.audit_entries,
            organisation_id=parties.controller,
            event_type="dpa.agreements.breach_notice.expired.v1",
        )
    )
    assert entry.actor_type == "system"
    read = await parties.client.get(
        f"/breaches/{reported['id']}", headers=parties.controller_admin()
    )
    assert read.json()["notices"][0]["authority_status"] == "pending"


async def test_updates_follow_in_phases_and_reach_each_controller__TOM_O4(
    parties: Parties, platform: Platform
) -> None:
    await parties.active()
    reported = await _report(parties)
    url = f"/breaches/{reported['id']}/phases"
    phase = await parties.client.post(
        url,
        json={"approx_data_subjects": 300, "note": "forensics done"},
        headers=parties.processor_admin(),
    )
    assert phase.status_code == 201, phase.text
    assert phase.json()["phase"] == 2
    assert phase.json()["approx_data_subjects"] == 300
    assert phase.json()["phases"][0]["fields"] == ["approx_data_subjects"]
    empty = await parties.client.post(url, json={"note": "x"}, headers=parties.processor_admin())
    assert empty.status_code == 422
    by_controller = await parties.client.post(
        url, json={"measures": "x"}, headers=parties.controller_admin()
    )
    assert by_controller.status_code == 403
    [entry] = await eventually(
        partial(
            platform.audit_entries,
            organisation_id=parties.controller,
            event_type="dpa.agreements.breach_notice.updated.v1",
        )
    )
    assert entry.actor_organisation_id == parties.processor  # the supplier's act (TOM-T3c)
    listed = await parties.client.get(
        "/breaches", headers=parties.as_(parties.controller, Role.auditor)
    )
    assert [b["id"] for b in listed.json()["items"]] == [reported["id"]]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"aware_at": "2026-01-01T10:00:00"}, "timezone"),
        ({"aware_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}, "future"),
        ({"data_categories": ["unknown category"]}, "name agreement_ids"),
        ({"agreement_ids": [str(uuid.uuid4())]}, "that are not closed"),
        ({"approx_records": -1}, "greater than or equal"),
        ({"nature": ""}, "at least 1 character"),
        ({"extra": 1}, "Extra inputs"),
    ],
)
async def test_invalid_breach_report_gets_422_and_changes_nothing(
    parties: Parties, overrides: dict[str, Any], message: str
) -> None:
    await parties.active()
    before = await parties.platform.count("agreements", OutboxMessage)
    response = await parties.client.post(
        "/breaches", json=breach(**overrides), headers=parties.processor_admin()
    )
    assert response.status_code == 422
    assert message in response.text
    assert await parties.platform.count("agreements", Breach) == 0
    assert await parties.platform.count("agreements", BreachNotice) == 0
    assert await parties.platform.count("agreements", OutboxMessage) == before


async def test_probe_p3_a_breach_is_reported_on_a_terminated_agreement_until_it_is_closed__TOM_O4(
    parties: Parties,
) -> None:
    """Processing obligations last until return or destruction is certified (contract art. 13)."""
    agreement_id = await parties.active()
    terminated = await parties.client.post(
        f"/agreements/{agreement_id}/termination",
        json={"reason": "main contract ended"},
        headers=parties.controller_admin(),
    )
    assert terminated.json()["status"] == "terminated"

    reported = await _report(parties)  # by data category: the terminated agreement is touched
    assert [n["agreement_id"] for n in reported["notices"]] == [agreement_id]
    named = await _report(parties, agreement_ids=[agreement_id])
    assert [n["agreement_id"] for n in named["notices"]] == [agreement_id]

    closed = await parties.client.post(
        f"/agreements/{agreement_id}/closure",
        json={"choice": "destroy"},
        headers=parties.controller_admin(),
    )
    assert closed.status_code == 200, closed.text
    after_closure = await parties.client.post(
        "/breaches", json=breach(agreement_ids=[agreement_id]), headers=parties.processor_admin()
    )
    assert after_closure.status_code == 422
    assert "agreements where you are the processor" in after_closure.json()["detail"]
