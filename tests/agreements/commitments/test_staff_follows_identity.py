"""The staff with access follow identity (DPA-8): a disabled or removed user's entries end, once.

The identity events are real envelopes published on the real nats-server, as identity's relay
would: to the envelope's subject, with ``Nats-Msg-Id`` = the event id.
"""

import uuid
from datetime import date
from functools import partial
from typing import Any

import nats
import pytest
from nats.js import JetStreamContext
from sqlalchemy import select
from sqlmodel import col

from services.agreements import domain
from services.agreements.commitments.consumers import DURABLE, SUBJECTS
from services.agreements.commitments.store import StaffMember
from services.audit.store import AuditEntry
from shared.events import Actor, Envelope, new_event
from shared.events.contracts.identity import UserStatusChanged
from shared.inbox import InboxReceipt
from shared.outbox import OutboxMessage
from tests.agreements.contract import Parties
from tests.support.platform import Platform, eventually

REMOVED = "dpa.agreements.staff_member.removed.v1"


def _identity_event(
    verb: str, *, organisation: str, user_id: str, source: str = "/dpa/identity"
) -> Envelope:
    return new_event(
        source=source,
        type=f"dpa.identity.user.{verb}.v1",
        tenant=organisation,
        actor=Actor(id=f"admin-{uuid.uuid4().hex[:6]}", organisation_id=organisation),
        subject=user_id,
        data=UserStatusChanged(user_id=uuid.UUID(user_id), sessions_revoked=1),
    )


async def _publish(js: JetStreamContext, event: Envelope, *, msg_id: str | None = None) -> int:
    ack = await js.publish(
        event.nats_subject,
        event.to_json(),
        headers={"Nats-Msg-Id": msg_id or str(event.id)},
    )
    return int(ack.seq)


async def _caught_up(js: JetStreamContext, stream: str, seq: int) -> bool:
    """The agreements consumer has handled (and acked) everything up to stream sequence ``seq``."""
    info = await js.consumer_info(stream, DURABLE)
    return info.ack_floor.stream_seq >= seq and not info.num_ack_pending


async def _add(parties: Parties, agreement_id: str, **fields: Any) -> dict[str, Any]:
    body = {
        "name": "Support desk",
        "function": "second-line support",
        "confidentiality_signed_on": date.today().isoformat(),
        "gdpr_briefed": True,
    } | fields
    response = await parties.client.post(
        f"/agreements/{agreement_id}/staff", json=body, headers=parties.processor_admin()
    )
    assert response.status_code == 201, response.text
    added: dict[str, Any] = response.json()
    return added


async def _staff(platform: Platform) -> dict[uuid.UUID, StaffMember]:
    async with platform.runtime("agreements").sessions() as session:
        return {m.id: m for m in (await session.scalars(select(StaffMember))).all()}


async def _removal_events(platform: Platform) -> list[OutboxMessage]:
    async with platform.runtime("agreements").sessions() as session:
        query = select(OutboxMessage).where(col(OutboxMessage.event_type) == REMOVED)
        return list((await session.scalars(query)).all())


@pytest.mark.parametrize("verb", ["disabled", "removed"])
async def test_a_disabled_or_removed_user_loses_access_once__DPA_8(
    parties: Parties, platform: Platform, verb: str
) -> None:
    user = str(uuid.uuid4())
    first = await parties.active()
    second = await parties.active()
    jan = await _add(parties, first, name="Jan Peeters", user_id=user)
    jan_again = await _add(parties, second, name="Jan Peeters", user_id=user.upper())
    department = await _add(parties, first, name="Support desk")
    colleague = await _add(parties, first, name="An Claes", user_id=str(uuid.uuid4()))
    assert jan_again["user_id"] == user  # stored in identity's canonical form
    others = Parties(platform)  # another processor: an id that is not theirs is not theirs
    elsewhere = await _add(others, await others.active(), name="Jan", user_id=user)

    stream = platform.runtime("agreements").settings.stream_name
    connection = await nats.connect(platform.nats_url)
    try:
        js = connection.jetstream()
        consumer = await js.consumer_info(stream, DURABLE)
        assert consumer.config.filter_subject == SUBJECTS

        # Not identity's: a forged source and the platform tenant end nothing.
        forged = _identity_event(
            verb, organisation=parties.processor, user_id=user, source="/dpa/notifier"
        )
        await _publish(js, forged)
        platform_wide = _identity_event(verb, organisation="platform", user_id=user)
        seq = await _publish(js, platform_wide)
        await eventually(partial(_caught_up, js, stream, seq))
        assert all(m.removed_at is None for m in (await _staff(platform)).values())

        event = _identity_event(verb, organisation=parties.processor, user_id=user)
        await _publish(js, event)
        await _publish(js, event)  # the relay's retry: dropped by the stream's duplicate window
        seq = await _publish(js, event, msg_id=f"{event.id}-late")  # past it: the inbox drops it
        again = _identity_event("removed", organisation=parties.processor, user_id=user)
        await _publish(js, again)  # a later event about the same user: nothing left to end
        enabled = _identity_event("enabled", organisation=parties.processor, user_id=user)
        seq = await _publish(js, enabled)  # re-enabled: an admin lists them again, not we
        await eventually(partial(_caught_up, js, stream, seq))
    finally:
        await connection.close()

    staff = await _staff(platform)
    ended = {m.id for m in staff.values() if m.removed_at is not None}
    assert ended == {uuid.UUID(jan["id"]), uuid.UUID(jan_again["id"])}
    for untouched in (department, colleague, elsewhere):
        assert staff[uuid.UUID(untouched["id"])].removed_at is None
    removals = await _removal_events(platform)
    assert len(removals) == 2
    assert {Envelope.model_validate_json(r.envelope).data["staff_member_id"] for r in removals} == {
        jan["id"],
        jan_again["id"],
    }
    async with platform.runtime("agreements").sessions() as session:
        inbox = (
            await session.scalars(
                select(col(InboxReceipt.event_id)).where(col(InboxReceipt.consumer) == DURABLE)
            )
        ).all()
    assert {event.id, platform_wide.id, again.id, enabled.id} <= set(inbox)
    # A source other than its subject's service never reaches a handler (shared/broker.py:
    # open_event, TOM-T5): rejected and terminated, not even claimed.
    assert forged.id not in set(inbox)

    listed = await parties.client.get(
        f"/agreements/{first}/staff", headers=parties.controller_admin()
    )
    by_id = {m["id"]: m for m in listed.json()["items"]}
    assert by_id[jan["id"]]["removed_at"] is not None
    assert by_id[department["id"]]["removed_at"] is None

    # The evidence: one audit entry per ended entry, filed with the controller, caused by identity.
    entries = await eventually(partial(_filed, platform, parties.controller, 2), within=20)
    assert len(entries) == 2
    assert {e.agreement_id for e in entries} == {first, second}
    assert {(e.actor_id, e.actor_type) for e in entries} == {("system:agreements", "system")}
    assert {e.correlation_id for e in entries} == {str(event.id)}
    assert not await platform.audit_entries(organisation_id=others.controller, event_type=REMOVED)


async def _filed(platform: Platform, organisation: str, count: int) -> list[AuditEntry]:
    entries = await platform.audit_entries(organisation_id=organisation, event_type=REMOVED)
    return entries if len(entries) >= count else []


async def test_a_staff_entry_names_an_identity_user_or_none__DPA_8(parties: Parties) -> None:
    agreement_id = await parties.active()
    url = f"/agreements/{agreement_id}/staff"
    body = {
        "name": "Jan Peeters",
        "function": "support",
        "confidentiality_signed_on": date.today().isoformat(),
        "gdpr_briefed": True,
    }
    for malformed in ("jan", "user-1", "", "1234", str(uuid.uuid4())[:-1], 42):
        refused = await parties.client.post(
            url, json=body | {"user_id": malformed}, headers=parties.processor_admin()
        )
        assert refused.status_code == 422, (malformed, refused.text)
    department = await parties.client.post(url, json=body, headers=parties.processor_admin())
    assert department.status_code == 201
    assert department.json()["user_id"] is None


def test_only_identity_disabling_or_removing_a_user_ends_access__DPA_8() -> None:
    organisation = str(uuid.uuid4())
    decide = partial(domain.processor_losing_access, source="/dpa/identity", tenant=organisation)
    for verb in ("disabled", "removed"):
        assert decide(event_type=f"dpa.identity.user.{verb}.v1") == uuid.UUID(organisation)
    for other in ("enabled", "invited", "viewed", "listed"):
        assert decide(event_type=f"dpa.identity.user.{other}.v1") is None
    disabled = "dpa.identity.user.disabled.v1"
    assert decide(event_type=disabled, source="/dpa/agreements") is None
    assert decide(event_type=disabled, tenant="platform") is None
