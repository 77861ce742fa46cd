"""A data subject's request that reaches the processor is forwarded to the controller with a
deadline, and the processor's assistance is tracked to the controller's closure (DPA-15, art.
28(3)(e) GDPR), over HTTP on a real nats-server and database."""

import io
import json
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from services.agreements import clocks, sweep
from services.agreements.assistance.store import SubjectRequest
from shared.outbox import OutboxMessage
from tests.agreements.contract import Parties
from tests.support.platform import Platform, eventually

SUMMARY = "Mail of 3 Dec from Jan Peeters asking for a copy of his appointment history"


async def _forwarded(parties: Parties, **body: Any) -> tuple[str, dict[str, Any]]:
    agreement_id = await parties.active()
    received = datetime.now(UTC) - timedelta(days=1)
    forwarded = await parties.client.post(
        f"/agreements/{agreement_id}/subject-requests",
        json={"right": "access", "received_at": received.isoformat(), "summary": SUMMARY} | body,
        headers=parties.processor_admin(),
    )
    assert forwarded.status_code == 201, forwarded.text
    return f"/agreements/{agreement_id}/subject-requests", forwarded.json()


async def test_dpa_15_a_request_is_forwarded_assisted_and_closed_with_its_deadlines(
    parties: Parties, platform: Platform
) -> None:
    url, request = await _forwarded(parties)
    forwarded_at = datetime.fromisoformat(request["forwarded_at"])
    assert datetime.fromisoformat(request["due_at"]) == clocks.working_days_after(forwarded_at, 5)
    assert (request["number"], request["stage"], request["overdue"]) == (1, "open", False)
    received = datetime.fromisoformat(request["received_at"])
    assert datetime.fromisoformat(request["answer_by"]) == clocks.month_after(received)

    assisted = await parties.client.post(
        f"{url}/{request['id']}/assistance",
        json={"assistance": "Extract of his appointments sent to the DPO by secure mail"},
        headers=parties.processor_admin(),
    )
    assert assisted.json()["stage"] == "assisted", assisted.text
    again = await parties.client.post(
        f"{url}/{request['id']}/assistance",
        json={"assistance": "again"},
        headers=parties.processor_admin(),
    )
    assert again.status_code == 409
    closed = await parties.client.post(
        f"{url}/{request['id']}/closure",
        json={"outcome": "answered", "note": "Answered on 5 Dec"},
        headers=parties.controller_admin(),
    )
    assert (closed.json()["stage"], closed.json()["outcome"]) == ("closed", "answered")
    closed_twice = await parties.client.post(
        f"{url}/{request['id']}/closure",
        json={"outcome": "answered"},
        headers=parties.controller_admin(),
    )
    assert closed_twice.status_code == 409

    for verb in ("forwarded", "assisted", "closed"):
        [entry] = await eventually(
            partial(
                platform.audit_entries,
                organisation_id=parties.controller,
                event_type=f"dpa.agreements.subject_request.{verb}.v1",
            )
        )
        assert "Peeters" not in str(entry.data)  # who asked stays in the agreement's records
    await eventually(
        partial(
            platform.receipts,
            organisation_id=parties.controller,
            event_type="dpa.agreements.subject_request.forwarded.v1",
        )
    )


async def test_dpa_15_late_assistance_is_announced_once_by_the_sweep(parties: Parties) -> None:
    url, request = await _forwarded(parties, right="erasure")
    runtime = parties.platform.runtime("agreements")
    later = datetime.fromisoformat(request["due_at"]) + timedelta(minutes=1)
    assert (await sweep.apply_due(runtime, now=datetime.now(UTC)))["subject_requests"] == 0
    assert (await sweep.apply_due(runtime, now=later))["subject_requests"] == 1
    assert (await sweep.apply_due(runtime, now=later))["subject_requests"] == 0  # idempotent
    async with runtime.sessions() as session:
        announced = await session.scalars(
            select(OutboxMessage).where(
                col(OutboxMessage.event_type) == "dpa.agreements.subject_request.expired.v1"
            )
        )
        [event] = announced.all()
    assert json.loads(event.envelope)["data"]["request_id"] == request["id"]
    listed = await parties.client.get(url, headers=parties.controller_admin())
    [shown] = listed.json()["items"]
    assert (shown["right"], shown["stage"]) == ("erasure", "open")


async def test_dpa_15_only_the_processor_forwards_and_assists_only_the_controller_closes(
    parties: Parties,
) -> None:
    url, request = await _forwarded(parties)
    by_controller = await parties.client.post(
        f"{url}/{request['id']}/assistance",
        json={"assistance": "x"},
        headers=parties.controller_admin(),
    )
    assert by_controller.status_code == 403
    by_processor = await parties.client.post(
        f"{url}/{request['id']}/closure",
        json={"outcome": "answered"},
        headers=parties.processor_admin(),
    )
    assert by_processor.status_code == 403
    stranger = parties.platform.auth(str(uuid.uuid4()))
    assert (await parties.client.get(url, headers=stranger)).status_code == 404
    missing = await parties.client.post(
        f"{url}/{uuid.uuid4()}/closure",
        json={"outcome": "answered"},
        headers=parties.controller_admin(),
    )
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"right": "everything"}, "access"),
        ({"summary": ""}, "at least 1 character"),
        ({"received_at": "2999-01-01T00:00:00Z"}, "in the future"),
        ({"received_at": "yesterday"}, "datetime"),
    ],
)
async def test_dpa_15_a_bad_request_gets_422_and_changes_nothing(
    parties: Parties, body: dict[str, Any], message: str
) -> None:
    agreement_id = await parties.active()
    before = await parties.platform.count("agreements", OutboxMessage)
    response = await parties.client.post(
        f"/agreements/{agreement_id}/subject-requests",
        json={"right": "access", "received_at": "2026-12-01T09:00:00Z", "summary": SUMMARY} | body,
        headers=parties.processor_admin(),
    )
    assert response.status_code == 422, response.text
    assert message in response.text
    assert await parties.platform.count("agreements", OutboxMessage) == before
    assert await parties.platform.count("agreements", SubjectRequest) == 0


def test_dpa_15_working_days_skip_the_weekend_in_brussels() -> None:
    friday = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    assert clocks.working_days_after(friday, 1) == datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
    assert clocks.working_days_after(friday, 5) == datetime(2026, 12, 11, 15, 0, tzinfo=UTC)
    assert clocks.month_after(datetime(2027, 1, 31, tzinfo=UTC)) == datetime(
        2027, 2, 28, tzinfo=UTC
    )


async def test_dpa_15_dpa_13_requests_are_returned_in_the_export_and_destroyed_at_the_end(
    parties: Parties,
) -> None:
    url, _request = await _forwarded(parties)
    agreement_url = url.removesuffix("/subject-requests")
    asked = await parties.client.post(
        f"{agreement_url}/assistance-requests",
        json={"kind": "claim", "question": "Claim by Jan Peeters, Ghent, ref. 26/1"},
        headers=parties.controller_admin(),
    )
    assert asked.status_code == 201, asked.text
    terminated = await parties.client.post(
        f"{agreement_url}/termination",
        json={"reason": "end of contract"},
        headers=parties.controller_admin(),
    )
    assert terminated.status_code == 200, terminated.text
    exported = await parties.client.get(
        f"{agreement_url}/export", headers=parties.controller_admin()
    )
    with zipfile.ZipFile(io.BytesIO(exported.content)) as opened:
        [returned] = json.loads(opened.read("subject_requests.json"))
        [claim] = json.loads(opened.read("assistance_requests.json"))
    assert (returned["summary"], claim["kind"]) == (SUMMARY, "claim")

    closed = await parties.client.post(
        f"{agreement_url}/closure", json={"choice": "return"}, headers=parties.controller_admin()
    )
    assert closed.status_code == 200, closed.text
    destroyed = closed.json()["statement"]["destroyed"]
    assert (destroyed["subject_requests"], destroyed["assistance_requests"]) == (1, 1)
    listed = await parties.client.get(url, headers=parties.controller_admin())
    assert listed.json()["items"][0]["summary"] == "[destroyed]"


async def test_dpa_15_a_retried_forwarding_with_the_same_key_forwards_once(
    parties: Parties,
) -> None:
    agreement_id = await parties.active()
    headers = parties.processor_admin() | {"Idempotency-Key": str(uuid.uuid4())}
    body = {"right": "access", "received_at": "2026-12-01T09:00:00Z", "summary": SUMMARY}
    url = f"/agreements/{agreement_id}/subject-requests"
    first = await parties.client.post(url, json=body, headers=headers)
    assert first.status_code == 201, first.text
    before = await parties.platform.count("agreements", OutboxMessage)
    again = await parties.client.post(url, json=body, headers=headers)
    assert (again.status_code, again.headers["idempotent-replayed"]) == (201, "true")
    assert again.json() == first.json()
    assert await parties.platform.count("agreements", SubjectRequest) == 1
    assert await parties.platform.count("agreements", OutboxMessage) == before
