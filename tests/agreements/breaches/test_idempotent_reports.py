"""A breach report sent twice with the same ``Idempotency-Key`` is reported once (issue 16.2).

Before, a retried ``POST /breaches`` (the first answer lost to a timeout) opened a second breach
and notified every controller twice. The rules live in ``shared/idempotency.py`` and hold for
every authenticated ``POST`` of every service; these tests prove them on the report that matters
most, on a real database and nats-server.
"""

import asyncio
import uuid

from sqlalchemy import select
from sqlmodel import col

from services.agreements.breaches.store import Breach
from shared.auth import Role
from shared.idempotency import IdempotentRequest
from shared.outbox import OutboxMessage
from tests.agreements.breaches.test_breaches import breach
from tests.agreements.contract import Parties
from tests.support.platform import Platform

REPORTED = "dpa.agreements.breach.reported.v1"


async def _events(platform: Platform, event_type: str) -> int:
    async with platform.runtime("agreements").sessions() as session:
        rows = await session.execute(
            select(OutboxMessage).where(col(OutboxMessage.event_type) == event_type)
        )
        return len(rows.scalars().all())


async def _breaches(platform: Platform) -> int:
    return await platform.count("agreements", Breach)


async def test_a_retried_report_with_the_same_key_answers_the_first_and_reports_nothing_new(
    parties: Parties, solo: Platform
) -> None:
    await parties.active()
    headers = parties.processor_admin() | {"Idempotency-Key": str(uuid.uuid4())}
    report = breach()
    first = await parties.client.post("/breaches", json=report, headers=headers)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers

    again = await parties.client.post("/breaches", json=report, headers=headers)

    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert await _breaches(solo) == 1
    assert await _events(solo, REPORTED) == 1


async def test_the_same_key_with_another_body_is_refused_and_changes_nothing(
    parties: Parties, solo: Platform
) -> None:
    await parties.active()
    headers = parties.processor_admin() | {"Idempotency-Key": "report-2026-12-06-laptop"}
    assert (await parties.client.post("/breaches", json=breach(), headers=headers)).is_success

    other = await parties.client.post(
        "/breaches", json=breach(nature="Another incident"), headers=headers
    )

    assert other.status_code == 422
    assert "another request" in other.json()["detail"]
    assert await _breaches(solo) == 1


async def test_keys_belong_to_their_caller_so_another_organisation_cannot_read_an_answer(
    parties: Parties, solo: Platform
) -> None:
    await parties.active()
    other = Parties(solo)
    await other.introduce()
    await other.active()
    key = {"Idempotency-Key": "shared-key-1"}
    mine = await parties.client.post(
        "/breaches", json=breach(), headers=parties.processor_admin() | key
    )
    theirs = await other.client.post(
        "/breaches", json=breach(), headers=other.processor_admin() | key
    )

    assert mine.status_code == theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    assert mine.json()["id"] != theirs.json()["id"]
    assert await _breaches(solo) == 2


async def test_concurrent_retries_report_once(parties: Parties, solo: Platform) -> None:
    await parties.active()
    headers = parties.processor_admin() | {"Idempotency-Key": str(uuid.uuid4())}
    report = breach()

    answers = await asyncio.gather(
        *(parties.client.post("/breaches", json=report, headers=headers) for _ in range(5))
    )

    statuses = sorted(answer.status_code for answer in answers)
    assert set(statuses) <= {201, 409}, statuses
    assert 201 in statuses
    assert await _breaches(solo) == 1
    assert await _events(solo, REPORTED) == 1


async def test_a_refused_request_is_replayed_as_refused_and_a_new_key_is_handled_anew(
    parties: Parties, solo: Platform
) -> None:
    await parties.active()
    key = {"Idempotency-Key": str(uuid.uuid4())}
    member = parties.as_(parties.processor, Role.auditor) | key
    report = breach()
    refused = await parties.client.post("/breaches", json=report, headers=member)
    assert refused.status_code == 403

    again = await parties.client.post("/breaches", json=report, headers=member)
    assert again.status_code == 403
    assert again.headers["idempotent-replayed"] == "true"
    assert await _breaches(solo) == 0


async def test_a_malformed_key_is_refused_with_400_before_anything_is_done(
    parties: Parties, solo: Platform
) -> None:
    await parties.active()
    for key in ("", "x" * 256, "with space", "tab\tinside"):
        answer = await parties.client.post(
            "/breaches", json=breach(), headers=parties.processor_admin() | {"Idempotency-Key": key}
        )
        assert answer.status_code == 400, (key, answer.text)
    assert await _breaches(solo) == 0
    assert await solo.count("agreements", IdempotentRequest) == 0


async def test_without_a_valid_token_the_key_is_not_kept_and_the_answer_is_401(
    parties: Parties, solo: Platform
) -> None:
    headers = {"Authorization": "Bearer not-a-token", "Idempotency-Key": "k-1"}
    answer = await parties.client.post("/breaches", json=breach(), headers=headers)
    assert answer.status_code == 401
    assert await solo.count("agreements", IdempotentRequest) == 0


async def test_the_stored_answer_is_unreadable_without_the_key(
    parties: Parties, solo: Platform
) -> None:
    await parties.active()
    key = "the-client-alone-knows-" + uuid.uuid4().hex
    reported = await parties.client.post(
        "/breaches", json=breach(), headers=parties.processor_admin() | {"Idempotency-Key": key}
    )
    async with solo.runtime("agreements").sessions() as session:
        [row] = (await session.execute(select(IdempotentRequest))).scalars().all()
    assert row.answer is not None
    assert key not in row.id
    assert reported.json()["id"].encode() not in row.answer
    assert b"Lost laptop" not in row.answer
