"""Retention that follows Annex 1 (TOM-T1, TOM-32a, DPA-4b): a data subject's request and an
assistance request name the Annex 1 categories they concern; once the longest of their periods has
passed since the record ended, the sweep deletes its free text, once, with one event naming the
agreement, the record and its categories; both parties read the schedule. Over HTTP, on a real
nats-server and database (SQLite, and PostgreSQL with REQUIRE_POSTGRES=1)."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from services.agreements import sweep
from services.agreements.assistance.store import AssistanceRequest, SubjectRequest
from services.agreements.lifecycle import annex1
from services.agreements.retention import rules
from shared.auth import Role
from shared.outbox import OutboxMessage
from tests.agreements.contract import ANNEX1, Parties
from tests.support.platform import Platform, eventually

# Three categories: 30 days, 90 days, and one whose period Annex 1 says in words only.
ANNEX = ANNEX1 | {
    "data_categories": [
        {"name": "appointments", "retention_days": 30},
        {"name": "health notes", "retention_days": 90},
        {"name": "correspondence", "retention_note": "as the archives law says"},
    ]
}
SUMMARY = "Mail of 3 Dec from Jan Peeters asking for a copy of his appointment history"
QUESTION = "DPIA for the reminders sent to Marie Dubois and the other citizens"
FALLBACK = 1825  # PACTUM_AGREEMENTS_RECORD_RETENTION_DAYS, default


async def _subject_request(parties: Parties, agreement_id: str, **body: Any) -> dict[str, Any]:
    forwarded = await parties.client.post(
        f"/agreements/{agreement_id}/subject-requests",
        json={
            "right": "access",
            "received_at": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
            "summary": SUMMARY,
        }
        | body,
        headers=parties.processor_admin(),
    )
    assert forwarded.status_code == 201, forwarded.text
    request: dict[str, Any] = forwarded.json()
    return request


async def _closed(parties: Parties, agreement_id: str, request: dict[str, Any]) -> None:
    url = f"/agreements/{agreement_id}/subject-requests/{request['id']}"
    assisted = await parties.client.post(
        f"{url}/assistance",
        json={"assistance": "Extract sent to Jan Peeters' DPO"},
        headers=parties.processor_admin(),
    )
    assert assisted.status_code == 200, assisted.text
    closed = await parties.client.post(
        f"{url}/closure",
        json={"outcome": "answered", "note": "Jan Peeters got his extract"},
        headers=parties.controller_admin(),
    )
    assert closed.status_code == 200, closed.text


async def _answered_dpia(parties: Parties, agreement_id: str, **body: Any) -> dict[str, Any]:
    url = f"/agreements/{agreement_id}/assistance-requests"
    asked = await parties.client.post(
        url, json={"kind": "dpia", "question": QUESTION} | body, headers=parties.controller_admin()
    )
    assert asked.status_code == 201, asked.text
    answered = await parties.client.post(
        f"{url}/{asked.json()['id']}/answer",
        json={"answer": "Our DPIA input on Marie Dubois' reminders"},
        headers=parties.processor_admin(),
    )
    assert answered.status_code == 200, answered.text
    request: dict[str, Any] = answered.json()
    return request


async def _sweep(parties: Parties, days: int) -> int:
    later = datetime.now(UTC) + timedelta(days=days)
    return (await sweep.apply_due(parties.platform.runtime("agreements"), now=later))[
        "annex1_retention"
    ]


async def _retention_events(parties: Parties) -> list[dict[str, Any]]:
    async with parties.platform.runtime("agreements").sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(col(OutboxMessage.event_type) == "dpa.agreements.retention.expired.v1")
            .order_by(col(OutboxMessage.position))
        )
        return [json.loads(row.envelope) for row in rows.all()]


async def test_a_subject_request_of_a_30_day_category_loses_its_text_30_days_after_closure__TOM_T1(
    parties: Parties, platform: Platform
) -> None:
    agreement_id = await parties.active(annex1=ANNEX)
    request = await _subject_request(parties, agreement_id, data_categories=["appointments"])
    assert request["data_categories"] == ["appointments"]
    await _closed(parties, agreement_id, request)

    assert await _sweep(parties, 29) == 0  # not before its 30 days
    listed = await parties.client.get(
        f"/agreements/{agreement_id}/subject-requests", headers=parties.controller_admin()
    )
    assert listed.json()["items"][0]["summary"] == SUMMARY
    assert await _sweep(parties, 31) == 1
    assert await _sweep(parties, 31) == 0  # once

    [shown] = (
        await parties.client.get(
            f"/agreements/{agreement_id}/subject-requests", headers=parties.controller_admin()
        )
    ).json()["items"]
    assert (shown["summary"], shown["assistance"], shown["outcome_note"]) == ("", None, None)
    assert (shown["stage"], shown["outcome"], shown["right"]) == ("closed", "answered", "access")
    assert shown["retention_applied_at"] is not None

    [event] = await _retention_events(parties)
    assert event["subject"] == agreement_id or event["data"]["agreement_id"] == agreement_id
    assert event["data"] == {
        "agreement_id": agreement_id,
        "record": "subject_request",
        "record_id": request["id"],
        "action": "deleted",
        "categories": ["appointments"],
        "kept_days": 30,
    }
    assert "Peeters" not in json.dumps(event)  # no personal data in the event
    [entry] = await eventually(
        partial(
            platform.audit_entries,
            organisation_id=parties.controller,
            event_type="dpa.agreements.retention.expired.v1",
        )
    )
    assert (entry.subject, entry.actor_type) == (agreement_id, "system")


async def test_a_record_of_two_categories_waits_for_the_longer_period__TOM_T1_DPA_4b(
    parties: Parties,
) -> None:
    agreement_id = await parties.active(annex1=ANNEX)
    request = await _answered_dpia(
        parties, agreement_id, data_categories=["appointments", "health notes"]
    )
    assert await _sweep(parties, 31) == 0  # the 30 days of appointments do not decide
    assert await _sweep(parties, 89) == 0
    assert await _sweep(parties, 91) == 1

    [event] = await _retention_events(parties)
    assert event["data"]["record"] == "assistance_request"
    assert event["data"]["record_id"] == request["id"]
    assert event["data"]["categories"] == ["appointments", "health notes"]
    assert event["data"]["kept_days"] == 90
    [shown] = (
        await parties.client.get(
            f"/agreements/{agreement_id}/assistance-requests", headers=parties.processor_admin()
        )
    ).json()["items"]
    assert (shown["question"], shown["answer"], shown["kind"]) == ("", None, "dpia")
    assert shown["answered_at"] is not None


async def test_without_categories_a_record_concerns_all_of_annex_1_and_a_period_in_words_falls_back__TOM_T1(  # noqa: E501
    parties: Parties,
) -> None:
    agreement_id = await parties.active(annex1=ANNEX)
    request = await _subject_request(parties, agreement_id)
    assert request["data_categories"] == ["appointments", "health notes", "correspondence"]
    await _closed(parties, agreement_id, request)
    assert await _sweep(parties, 91) == 0  # correspondence has no period in days: the fallback
    assert await _sweep(parties, FALLBACK - 1) == 0
    assert await _sweep(parties, FALLBACK + 1) == 1
    [event] = await _retention_events(parties)
    assert event["data"]["kept_days"] == FALLBACK


async def test_with_one_annex_1_category_a_record_concerns_it_by_default__TOM_T1(
    parties: Parties,
) -> None:
    one = ANNEX1 | {"data_categories": [{"name": "appointments", "retention_days": 30}]}
    agreement_id = await parties.active(annex1=one)
    request = await _answered_dpia(parties, agreement_id)
    assert request["data_categories"] == ["appointments"]
    assert await _sweep(parties, 31) == 1


async def test_an_open_record_keeps_its_text_whatever_its_age__TOM_T1(parties: Parties) -> None:
    agreement_id = await parties.active(annex1=ANNEX)
    await _subject_request(parties, agreement_id, data_categories=["appointments"])
    asked = await parties.client.post(
        f"/agreements/{agreement_id}/assistance-requests",
        json={"kind": "dpia", "question": QUESTION, "data_categories": ["appointments"]},
        headers=parties.controller_admin(),
    )
    assert asked.status_code == 201, asked.text
    assert await _sweep(parties, FALLBACK * 2) == 0


@pytest.mark.parametrize(
    ("path", "party", "body"),
    [
        ("subject-requests", "processor", {"right": "access", "summary": SUMMARY}),
        ("assistance-requests", "controller", {"kind": "dpia", "question": QUESTION}),
    ],
)
@pytest.mark.parametrize(
    ("categories", "message"),
    [
        (["appointments", "bank details"], "category of the agreement's Annex 1"),
        ([], "data_categories"),
    ],
)
async def test_a_category_outside_annex_1_is_refused_and_nothing_is_recorded__TOM_T1(
    parties: Parties,
    path: str,
    party: str,
    body: dict[str, Any],
    categories: list[str],
    message: str,
) -> None:
    agreement_id = await parties.active(annex1=ANNEX)
    headers = parties.processor_admin() if party == "processor" else parties.controller_admin()
    if path == "subject-requests":
        body = body | {"received_at": (datetime.now(UTC) - timedelta(days=1)).isoformat()}
    before = await parties.platform.count("agreements", OutboxMessage)
    response = await parties.client.post(
        f"/agreements/{agreement_id}/{path}",
        json=body | {"data_categories": categories},
        headers=headers,
    )
    assert response.status_code == 422, response.text
    assert message in response.text
    assert await parties.platform.count("agreements", OutboxMessage) == before
    assert await parties.platform.count("agreements", SubjectRequest) == 0
    assert await parties.platform.count("agreements", AssistanceRequest) == 0


async def test_both_parties_read_the_retention_schedule_per_category__TOM_T1_DPA_4b(
    parties: Parties,
) -> None:
    agreement_id = await parties.active(annex1=ANNEX)
    gone = await _subject_request(parties, agreement_id, data_categories=["appointments"])
    await _closed(parties, agreement_id, gone)
    waiting = await _answered_dpia(
        parties, agreement_id, data_categories=["appointments", "health notes"]
    )
    await _subject_request(parties, agreement_id, data_categories=["health notes"])  # open
    assert await _sweep(parties, 31) == 1

    url = f"/agreements/{agreement_id}/retention"
    for headers in (
        parties.controller_admin(),
        parties.processor_admin(),
        parties.as_(parties.controller, Role.auditor),
    ):
        read = await parties.client.get(url, headers=headers)
        assert read.status_code == 200, read.text
    schedule = read.json()
    assert (schedule["agreement_id"], schedule["version"]) == (agreement_id, 1)
    assert schedule["fallback_days"] == FALLBACK
    assert schedule["uncategorised"] is None
    by_name = {category["name"]: category for category in schedule["categories"]}
    assert list(by_name) == ["appointments", "health notes", "correspondence"]
    appointments, health, words = (
        by_name["appointments"],
        by_name["health notes"],
        by_name["correspondence"],
    )
    assert (appointments["retention_days"], appointments["kept_days"]) == (30, 30)
    assert appointments["records_applied"] == 1
    assert appointments["last_applied_at"] is not None
    assert appointments["records_waiting"] == 1  # the DPIA, held for its health notes' 90 days
    answered_at = datetime.fromisoformat(waiting["answered_at"])
    assert datetime.fromisoformat(appointments["next_due_at"]) == answered_at + timedelta(days=90)
    assert (health["records_waiting"], health["records_open"], health["records_applied"]) == (
        1,
        1,
        0,
    )
    assert health["last_applied_at"] is None
    assert (words["retention_days"], words["kept_days"]) == (None, FALLBACK)
    assert words["retention_note"] == "as the archives law says"


async def test_another_controller_cannot_read_the_retention_schedule__TOM_T1(
    parties: Parties,
) -> None:
    agreement_id = await parties.active(annex1=ANNEX)
    # Another controller of the same processor, with an agreement of its own.
    other = Parties(parties.platform, processor=parties.processor)
    own = await other.active()
    assert (
        await parties.client.get(f"/agreements/{own}/retention", headers=other.controller_admin())
    ).status_code == 200
    read = await parties.client.get(
        f"/agreements/{agreement_id}/retention", headers=other.controller_admin()
    )
    assert read.status_code == 404
    assert "appointments" not in read.text
    missing = await parties.client.get(
        f"/agreements/{uuid.uuid4()}/retention", headers=other.controller_admin()
    )
    assert (missing.status_code, missing.json()["detail"]) == (404, read.json()["detail"])


def test_the_longest_period_wins_and_a_period_in_words_counts_as_the_fallback__TOM_T1() -> None:
    annex = annex1.periods_of(ANNEX)
    assert annex1.kept_days(["appointments"], annex, 1000) == 30
    assert annex1.kept_days(["appointments", "health notes"], annex, 1000) == 90
    assert annex1.kept_days(["appointments", "correspondence"], annex, 1000) == 1000
    assert annex1.kept_days(["no longer in Annex 1"], annex, 1000) == 1000
    assert annex1.kept_days([], annex, 1000) == 1000
    ended = datetime(2026, 12, 1, tzinfo=UTC)
    assert not rules.is_due(ended, 30, ended + timedelta(days=30) - timedelta(seconds=1))
    assert rules.is_due(ended, 30, ended + timedelta(days=30))
    assert not rules.is_due(None, 1, ended + timedelta(days=36_500))


async def test_a_breach_report_loses_its_text_after_the_longest_period_of_its_categories__TOM_T1_DPA_4b(  # noqa: E501
    parties: Parties,
) -> None:
    agreement_id = await parties.active(annex1=ANNEX)
    reported = await parties.client.post(
        "/breaches",
        json={
            "aware_at": datetime.now(UTC).isoformat(),
            "nature": "Appointment list of Jan Peeters mailed to the wrong citizen",
            "data_categories": ["Health  notes", "appointments"],
            "data_subject_categories": ["citizens"],
            "approx_data_subjects": 1,
            "approx_records": 1,
            "consequences": "Jan Peeters' treatment is known to a neighbour",
            "measures": "Recalled the mail",
            "contact_point": "Michel Smekens",
        },
        headers=parties.processor_admin(),
    )
    assert reported.status_code == 201, reported.text
    runtime = parties.platform.runtime("agreements")

    async def text_step(days: int) -> int:
        later = datetime.now(UTC) + timedelta(days=days)
        return (await sweep.apply_due(runtime, now=later))["breach_text_retention"]

    assert await text_step(31) == 0
    assert await text_step(89) == 0  # health notes keep it 90 days
    assert await text_step(91) == 1
    assert await text_step(91) == 0
    read = await parties.client.get(
        f"/breaches/{reported.json()['id']}", headers=parties.controller_admin()
    )
    shown = read.json()
    assert (shown["nature"], shown["consequences"], shown["measures"]) == ("", "", "")
    assert shown["contact_point"] is None
    assert shown["text_deleted_at"] is not None
    assert shown["data_categories"] == ["Health  notes", "appointments"]
    [event] = [e for e in await _retention_events(parties) if e["data"]["record"] == "breach"]
    assert event["data"] == {
        "agreement_id": agreement_id,
        "record": "breach",
        "record_id": reported.json()["id"],
        "action": "deleted",
        "categories": ["appointments", "health notes"],
        "kept_days": 90,
    }
    assert "Peeters" not in json.dumps(event)
