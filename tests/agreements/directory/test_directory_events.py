"""The agreements directory follows identity's organisation events: created (with the name, or
without it as older events are), announced, updated (renamed), disabled and enabled; later facts
win by event time, a redelivered event is a no-op, a disabled organisation cannot become a party
to a new agreement while its existing agreements stay as they are.

Events are published on the real nats-server as identity's relay would
(tests/agreements/organisations.py), to the agreements service running in-process.
"""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import nats
from pydantic import BaseModel
from sqlalchemy import select
from sqlmodel import col

from services.agreements.directory import store as directory
from services.agreements.directory.consumers import ORGANISATIONS_DURABLE
from services.agreements.directory.store import KnownOrganisation, OrganisationStatus
from services.agreements.domain import OrganisationKind
from services.agreements.lifecycle.store import Agreement
from shared.events import Actor, ActorType, Envelope, new_event
from shared.events.contracts.identity import (
    OrganisationAnnounced,
    OrganisationCreated,
    OrganisationRenamed,
    OrganisationStatusChanged,
)
from shared.inbox import InboxReceipt
from shared.outbox import OutboxMessage
from shared.settings import nats_servers
from tests.agreements.contract import ANNEX1, Parties
from tests.support.platform import Platform, eventually

NOT_A_PROCESSOR = (
    "counterparty_id is not an organisation that can be the processor of this agreement"
)
OPERATOR = Actor(id="operator-cli", type=ActorType.system)


def identity_event(
    verb: str, organisation: str, data: BaseModel, *, at: datetime | None = None
) -> Envelope:
    event = new_event(
        source="/dpa/identity",
        type=f"dpa.identity.organisation.{verb}.v1",
        tenant=organisation,
        actor=OPERATOR,
        subject=organisation,
        data=data,
    )
    return event if at is None else event.model_copy(update={"time": at})


def created(organisation: str, kind: str, name: str | None, *, at: datetime) -> Envelope:
    return identity_event(
        "created",
        organisation,
        OrganisationCreated(organisation_id=uuid.UUID(organisation), kind=kind, name=name),
        at=at,
    )


def announced(
    organisation: str, kind: str, name: str, status: str, *, at: datetime | None = None
) -> Envelope:
    data = OrganisationAnnounced(
        organisation_id=uuid.UUID(organisation),
        kind=kind,
        name=name,
        status=status,
    )
    return identity_event("announced", organisation, data, at=at)


def renamed(organisation: str, name: str, *, at: datetime) -> Envelope:
    data = OrganisationRenamed(organisation_id=uuid.UUID(organisation), name=name)
    return identity_event("updated", organisation, data, at=at)


def status_changed(organisation: str, verb: str, *, at: datetime | None = None) -> Envelope:
    data = OrganisationStatusChanged(organisation_id=uuid.UUID(organisation))
    return identity_event(verb, organisation, data, at=at)


async def taken_in(platform: Platform, *events: Envelope, copies: int = 1) -> None:
    """Publish the events (each ``copies`` times, as distinct messages: a redelivery past the
    stream's duplicate window) and wait until the directory's consumer acknowledged them all."""
    connection = await nats.connect(servers=nats_servers(platform.nats_url))
    try:
        js = connection.jetstream()
        last = 0
        for copy in range(copies):
            for event in events:
                ack = await js.publish(
                    event.nats_subject,
                    event.to_json(),
                    headers={"Nats-Msg-Id": f"{event.id}-{copy}"},
                )
                last = int(ack.seq)
        stream = platform.settings("agreements").stream_name

        async def acknowledged() -> bool:
            info = await js.consumer_info(stream, ORGANISATIONS_DURABLE)
            return info.ack_floor.stream_seq >= last and not info.num_ack_pending

        await eventually(acknowledged)
    finally:
        await connection.close()


async def known(platform: Platform, organisation: str) -> KnownOrganisation | None:
    async with platform.runtime("agreements").sessions() as session:
        return await session.get(KnownOrganisation, uuid.UUID(organisation))


async def entry(platform: Platform, organisation: str) -> KnownOrganisation:
    found = await known(platform, organisation)
    assert found is not None
    return found


async def create(parties: Parties, **body: Any) -> Any:
    return await parties.client.post(
        "/agreements",
        json={"title": "Verwerkersovereenkomst", "party": "controller", "annex1": ANNEX1} | body,
        headers=parties.controller_admin(),
    )


T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


async def test_the_name_arrives_with_created_and_an_older_created_without_it_still_counts__USE_1(
    solo: Platform,
) -> None:
    named, unnamed = str(uuid.uuid4()), str(uuid.uuid4())
    await taken_in(
        solo,
        created(named, "processor", "iBeauty BVBA", at=T0),
        created(unnamed, "controller", None, at=T0),
    )
    assert (await entry(solo, named)).name == "iBeauty BVBA"
    old = await entry(solo, unnamed)
    assert (old.name, old.kind, old.status) == (
        None,
        OrganisationKind.controller,
        OrganisationStatus.active,
    )


async def test_a_rename_updates_the_name_and_an_older_fact_arriving_later_changes_nothing__USE_1(
    solo: Platform,
) -> None:
    organisation = str(uuid.uuid4())
    await taken_in(solo, created(organisation, "processor", "iBeauty", at=T0))
    await taken_in(solo, renamed(organisation, "iBeauty BVBA", at=T0 + timedelta(hours=2)))
    after_rename = await entry(solo, organisation)
    assert after_rename.name == "iBeauty BVBA"

    # An announcement from before the rename (a late one) and a redelivered created event.
    await taken_in(
        solo,
        announced(organisation, "processor", "iBeauty", "disabled", at=T0 + timedelta(hours=1)),
        created(organisation, "processor", "iBeauty", at=T0),
    )
    unchanged = await entry(solo, organisation)
    assert unchanged.name == "iBeauty BVBA"
    # The announcement's status (disabled an hour in) is newer than created's: it holds.
    assert unchanged.status is OrganisationStatus.disabled

    await taken_in(solo, status_changed(organisation, "enabled", at=T0 + timedelta(hours=3)))
    assert (await entry(solo, organisation)).status is OrganisationStatus.active


async def test_events_for_an_organisation_not_known_yet_make_no_party_of_it__USE_1(
    parties: Parties,
) -> None:
    stranger = str(uuid.uuid4())
    await taken_in(
        parties.platform,
        renamed(stranger, "Nobody", at=T0),
        status_changed(stranger, "enabled", at=T0),
    )
    held = await entry(parties.platform, stranger)
    assert (held.kind, held.name) == (None, "Nobody")
    refused = await create(parties, counterparty_id=stranger)
    assert refused.status_code == 422
    assert refused.json()["detail"] == NOT_A_PROCESSOR


async def test_a_status_change_arriving_before_created_still_holds__USE_1(
    solo: Platform,
) -> None:
    """Identity's operator command and a service replica publish their own outboxes: a disable
    can reach the stream before the creation it follows. The directory ends as identity is."""
    organisation = str(uuid.uuid4())
    await taken_in(
        solo,
        status_changed(organisation, "disabled", at=T0 + timedelta(minutes=1)),
        renamed(organisation, "iBeauty BVBA", at=T0 + timedelta(minutes=2)),
        created(organisation, "processor", "iBeauty", at=T0),
    )
    known_now = await entry(solo, organisation)
    assert (known_now.kind, known_now.name, known_now.status) == (
        OrganisationKind.processor,
        "iBeauty BVBA",
        OrganisationStatus.disabled,
    )

    later = str(uuid.uuid4())
    await taken_in(
        solo,
        status_changed(later, "enabled", at=T0 + timedelta(minutes=1)),
        created(later, "controller", "UTOPIA", at=T0),
    )
    active = await entry(solo, later)
    assert (active.kind, active.name, active.status) == (
        OrganisationKind.controller,
        "UTOPIA",
        OrganisationStatus.active,
    )


async def test_facts_taken_in_side_by_side_all_hold__USE_1(solo: Platform) -> None:
    """The consumer handles a fetched batch concurrently: the first facts about an organisation
    race to create its entry and then to change it. Every fact still counts, newest wins."""
    organisation = uuid.UUID(str(uuid.uuid4()))
    facts = [
        directory.OrganisationFact(
            organisation_id=organisation,
            at=T0 + timedelta(minutes=1),
            event_id=uuid.uuid4(),
            status=OrganisationStatus.disabled,
        ),
        directory.OrganisationFact(
            organisation_id=organisation,
            at=T0 + timedelta(minutes=2),
            event_id=uuid.uuid4(),
            name="iBeauty BVBA",
        ),
        directory.OrganisationFact(
            organisation_id=organisation,
            at=T0,
            event_id=uuid.uuid4(),
            kind=OrganisationKind.processor,
            name="iBeauty",
        ),
    ]
    sessions = solo.runtime("agreements").sessions

    async def take_in(fact: directory.OrganisationFact) -> None:
        async with sessions() as session, session.begin():
            await directory.take_in(session, fact)

    await asyncio.gather(*(take_in(fact) for fact in facts))
    held = await entry(solo, str(organisation))
    assert (held.kind, held.name, held.status) == (
        OrganisationKind.processor,
        "iBeauty BVBA",
        OrganisationStatus.disabled,
    )


async def test_a_redelivered_announcement_is_taken_in_once(solo: Platform) -> None:
    organisation = str(uuid.uuid4())
    event = announced(organisation, "controller", "UTOPIA", "active")
    await taken_in(solo, event, copies=2)
    first = await entry(solo, organisation)
    assert (first.name, first.kind, first.event_id) == (
        "UTOPIA",
        OrganisationKind.controller,
        event.id,
    )
    async with solo.runtime("agreements").sessions() as session:
        receipts = (
            await session.scalars(
                select(InboxReceipt).where(col(InboxReceipt.event_id) == event.id)
            )
        ).all()
    assert len(receipts) == 1
    assert solo.runtime("agreements").consumers[ORGANISATIONS_DURABLE].duplicates >= 1


async def test_a_disabled_organisation_cannot_become_a_party_and_its_agreements_stay__USE_1(
    parties: Parties,
) -> None:
    existing = await parties.draft()
    platform = parties.platform
    await taken_in(platform, status_changed(parties.processor, "disabled"))
    assert (await entry(platform, parties.processor)).status is OrganisationStatus.disabled

    before = (
        await platform.count("agreements", Agreement),
        await platform.count("agreements", OutboxMessage),
    )
    refused = await create(parties, counterparty_id=parties.processor)
    unknown = await create(parties, counterparty_id=str(uuid.uuid4()))
    assert refused.status_code == unknown.status_code == 422
    assert refused.json()["detail"] == unknown.json()["detail"] == NOT_A_PROCESSOR
    assert (
        await platform.count("agreements", Agreement),
        await platform.count("agreements", OutboxMessage),
    ) == before

    read = await parties.client.get(
        f"/agreements/{existing['id']}", headers=parties.controller_admin()
    )
    assert read.status_code == 200
    assert read.json()["counterparty_id"] == parties.processor
    assert read.json()["status"] == existing["status"]

    await taken_in(platform, status_changed(parties.processor, "enabled"))
    again = await create(parties, counterparty_id=parties.processor)
    assert again.status_code == 201, again.text


async def test_a_disabled_organisation_cannot_start_a_new_agreement_either__USE_1(
    parties: Parties,
) -> None:
    platform = parties.platform
    await parties.introduce()
    await taken_in(platform, status_changed(parties.controller, "disabled"))
    before = await platform.count("agreements", Agreement)
    refused = await create(parties, counterparty_id=parties.processor)
    assert refused.status_code == 422
    assert "your organisation is disabled" in refused.json()["detail"]
    assert await platform.count("agreements", Agreement) == before
