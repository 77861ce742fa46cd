"""The deadline to return or destroy after termination (DPA-13, DPA-4b): the sweep reminds both
parties before it, raises the agreement as overdue once it passed with the end still open (an
event, the parties' view, the operator's status), and each step happens once."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import col

from services.agreements import sweep
from shared.auth import Role
from shared.outbox import OutboxMessage
from tests.agreements.contract import Parties


async def _events(parties: Parties, verb: str) -> list[dict[str, object]]:
    async with parties.platform.runtime("agreements").sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(
                col(OutboxMessage.event_type) == f"dpa.agreements.closure_deadline.{verb}.v1"
            )
        )
        return [json.loads(row.envelope)["data"] for row in rows.all()]


async def test_dpa_13_the_deadline_reminds_before_and_raises_the_overdue_agreement_once(
    parties: Parties,
) -> None:
    agreement_id = await parties.active()
    url = f"/agreements/{agreement_id}"
    terminated = await parties.client.post(
        f"{url}/termination", json={"reason": "end of contract"}, headers=parties.controller_admin()
    )
    terminated_at = datetime.fromisoformat(terminated.json()["terminated_at"])
    state = (await parties.client.get(f"{url}/closure", headers=parties.processor_admin())).json()
    assert datetime.fromisoformat(state["due_at"]) == terminated_at + timedelta(days=30)
    assert state["outstanding"] == ["controller_choice", "processor_attestation"]
    assert state["overdue"] is False

    runtime = parties.platform.runtime("agreements")
    now = datetime.now(UTC)
    assert (await sweep.apply_due(runtime, now=now))["closure_deadlines"] == 0
    week_before = terminated_at + timedelta(days=23, minutes=1)
    assert (await sweep.apply_due(runtime, now=week_before))["closure_deadlines"] == 1
    assert (await sweep.apply_due(runtime, now=week_before))["closure_deadlines"] == 0
    [announced] = await _events(parties, "announced")
    assert announced["agreement_id"] == agreement_id
    assert announced["processor_id"] == parties.processor

    passed = terminated_at + timedelta(days=30, minutes=1)
    assert (await sweep.apply_due(runtime, now=passed))["closure_deadlines"] == 1
    assert (await sweep.apply_due(runtime, now=passed))["closure_deadlines"] == 0
    [expired] = await _events(parties, "expired")
    assert expired["outstanding"] == ["controller_choice", "processor_attestation"]
    state = (await parties.client.get(f"{url}/closure", headers=parties.controller_admin())).json()
    assert state["overdue"] is True

    operator = parties.platform.signer.issue(
        user_id="operator-admin",
        organisation_id=parties.controller,  # any organisation: the kind claim is what counts
        roles=[Role.admin],
        organisation_kind="operator",
    )
    status = await parties.client.get(
        "/operations/status", headers={"Authorization": f"Bearer {operator}"}
    )
    assert status.json()["closures"] == {"overdue": 1}

    closed = await parties.client.post(
        f"{url}/closure", json={"choice": "destroy"}, headers=parties.controller_admin()
    )
    assert closed.status_code == 200, closed.text
    state = (await parties.client.get(f"{url}/closure", headers=parties.controller_admin())).json()
    assert (state["outstanding"], state["overdue"]) == (["processor_attestation"], True)


async def test_dpa_13_an_end_completed_in_time_is_never_raised(parties: Parties) -> None:
    agreement_id = await parties.active()
    url = f"/agreements/{agreement_id}"
    terminated = await parties.client.post(
        f"{url}/termination", json={"reason": "end of contract"}, headers=parties.controller_admin()
    )
    terminated_at = datetime.fromisoformat(terminated.json()["terminated_at"])
    await parties.client.post(
        f"{url}/closure", json={"choice": "destroy"}, headers=parties.controller_admin()
    )
    token = parties.platform.signer.issue(
        user_id="els", organisation_id=parties.processor, roles=[Role.admin], name="Els Maes"
    )
    item = {
        "what": "appointment records",
        "system": "crm-db",
        "action": "destroyed",
        "done_at": datetime.now(UTC).isoformat(),
        "method": "schema dropped",
    }
    attested = await parties.client.post(
        f"{url}/destruction-attestation",
        json={"items": [item]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert attested.status_code == 201, attested.text
    runtime = parties.platform.runtime("agreements")
    later = terminated_at + timedelta(days=31)
    assert (await sweep.apply_due(runtime, now=later))["closure_deadlines"] == 0
    assert await _events(parties, "expired") == []


async def test_dpa_13_an_agreement_that_gives_ten_days_is_overdue_after_ten_days(
    parties: Parties,
) -> None:
    agreement_id = await parties.active(closure_days=10)
    url = f"/agreements/{agreement_id}"
    shown = (await parties.client.get(url, headers=parties.processor_admin())).json()
    assert shown["terms"]["closure_days"] == 10
    terminated = await parties.client.post(
        f"{url}/termination", json={"reason": "end of contract"}, headers=parties.controller_admin()
    )
    terminated_at = datetime.fromisoformat(terminated.json()["terminated_at"])
    state = (await parties.client.get(f"{url}/closure", headers=parties.processor_admin())).json()
    assert datetime.fromisoformat(state["due_at"]) == terminated_at + timedelta(days=10)

    runtime = parties.platform.runtime("agreements")
    before = terminated_at + timedelta(days=9, hours=23)
    assert (await sweep.apply_due(runtime, now=before))["closure_deadlines"] == 1  # reminded
    assert await _events(parties, "expired") == []
    after = terminated_at + timedelta(days=10, minutes=1)
    assert (await sweep.apply_due(runtime, now=after))["closure_deadlines"] == 1
    [expired] = await _events(parties, "expired")
    assert datetime.fromisoformat(str(expired["due_at"])) == terminated_at + timedelta(days=10)
    state = (await parties.client.get(f"{url}/closure", headers=parties.controller_admin())).json()
    assert state["overdue"] is True


@pytest.mark.parametrize("days", [0, 366, -1, "thirty", 2.5])
async def test_dpa_13_a_closure_period_out_of_bounds_is_refused_and_changes_nothing(
    parties: Parties, days: object
) -> None:
    draft = await parties.draft(closure_days=20)
    url = f"/agreements/{draft['id']}"
    before = await parties.platform.count("agreements", OutboxMessage)
    created = await parties.client.post(
        "/agreements",
        json={"title": "Te kort", "party": "controller", "terms": {"closure_days": days}},
        headers=parties.controller_admin(),
    )
    assert created.status_code == 422, created.text
    assert "closure_days" in created.text
    updated = await parties.client.patch(
        url, json={"terms": {"closure_days": days}}, headers=parties.controller_admin()
    )
    assert updated.status_code == 422, updated.text
    assert "closure_days" in updated.text
    assert await parties.platform.count("agreements", OutboxMessage) == before
    shown = (await parties.client.get(url, headers=parties.controller_admin())).json()
    assert shown["terms"]["closure_days"] == 20
