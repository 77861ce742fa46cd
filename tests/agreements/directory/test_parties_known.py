"""An agreement's parties are organisations identity created, of the kind their party needs.

The agreements service knows them from identity's ``organisation.created`` events, published here
on the real nats-server as identity's relay would (tests/agreements/organisations.py).
"""

import uuid
from typing import Any

import httpx
import nats
from sqlalchemy import select
from sqlmodel import col

from services.agreements.directory import store as directory
from services.agreements.directory.consumers import ORGANISATIONS_DURABLE
from services.agreements.directory.store import KnownOrganisation, LearntFrom
from services.agreements.domain import OrganisationKind
from services.agreements.lifecycle.store import Agreement
from services.agreements.seed import seed_demo_contract
from shared.demo import IBEAUTY_ID, OPERATOR_ID, UTOPIA_ID
from shared.inbox import InboxReceipt
from shared.outbox import OutboxMessage
from shared.settings import nats_servers
from tests.agreements.contract import ANNEX1, Parties
from tests.agreements.organisations import introduce, organisation_created, publish
from tests.support.platform import Platform, eventually

NOT_A_PROCESSOR = (
    "counterparty_id is not an organisation that can be the processor of this agreement"
)
NOT_A_CONTROLLER = (
    "counterparty_id is not an organisation that can be the controller of this agreement"
)


async def _create(
    parties: Parties, organisation: str, *, party: str = "controller", **body: Any
) -> httpx.Response:
    return await parties.client.post(
        "/agreements",
        json={"title": "Verwerkersovereenkomst", "party": party, "annex1": ANNEX1} | body,
        headers=parties.platform.auth(organisation),
    )


async def _stored(platform: Platform) -> tuple[int, int]:
    """(agreements, outbox rows): what a refused request must leave as it was."""
    return await platform.count("agreements", Agreement), await platform.count(
        "agreements", OutboxMessage
    )


async def _known(platform: Platform, organisation: str) -> KnownOrganisation | None:
    async with platform.runtime("agreements").sessions() as session:
        return await session.get(KnownOrganisation, uuid.UUID(organisation))


async def test_a_known_processor_can_be_the_counterparty(parties: Parties) -> None:
    created = await _create(parties, parties.controller, counterparty_id=parties.processor)
    assert created.status_code == 201, created.text
    assert created.json()["processor_id"] == parties.processor


async def test_a_processor_drafts_with_a_known_controller(parties: Parties) -> None:
    created = await _create(
        parties, parties.processor, party="processor", counterparty_id=parties.controller
    )
    assert created.status_code == 201, created.text
    assert (created.json()["controller_id"], created.json()["processor_id"]) == (
        parties.controller,
        parties.processor,
    )


async def test_an_unknown_or_wrong_kind_counterparty_gets_one_and_the_same_refusal__TOM_T5(
    parties: Parties,
) -> None:
    """Unknown, another controller, an operator: one sentence, so the answer is no oracle of
    which ids exist or what they are; nothing is stored."""
    other_controller, other_processor, operator = (str(uuid.uuid4()) for _ in range(3))
    await introduce(
        parties.platform,
        {other_controller: "controller", other_processor: "processor", operator: "operator"},
    )
    before = await _stored(parties.platform)
    for counterparty in (str(uuid.uuid4()), other_controller, operator):
        refused = await _create(parties, parties.controller, counterparty_id=counterparty)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"] == NOT_A_PROCESSOR
    for counterparty in (str(uuid.uuid4()), other_processor, operator):
        refused = await _create(
            parties, parties.processor, party="processor", counterparty_id=counterparty
        )
        assert refused.json()["detail"] == NOT_A_CONTROLLER
    assert await _stored(parties.platform) == before


async def test_setting_an_unknown_or_wrong_kind_counterparty_on_a_draft_is_refused(
    parties: Parties,
) -> None:
    created = await _create(parties, parties.controller)
    assert created.status_code == 201, created.text
    url = f"/agreements/{created.json()['id']}"
    before = await _stored(parties.platform)
    other_controller = str(uuid.uuid4())
    await introduce(parties.platform, {other_controller: "controller"})
    for counterparty in (str(uuid.uuid4()), other_controller, OPERATOR_ID):
        refused = await parties.client.patch(
            url, json={"counterparty_id": counterparty}, headers=parties.controller_admin()
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"] == NOT_A_PROCESSOR
    assert await _stored(parties.platform) == before
    draft = await parties.client.get(url, headers=parties.controller_admin())
    assert draft.json()["processor_id"] is None

    named = await parties.client.patch(
        url, json={"counterparty_id": parties.processor}, headers=parties.controller_admin()
    )
    assert named.status_code == 200, named.text
    assert named.json()["processor_id"] == parties.processor


async def test_an_organisation_states_only_the_party_its_kind_is(parties: Parties) -> None:
    before = await _stored(parties.platform)
    as_controller = await _create(parties, parties.processor, party="controller")
    assert as_controller.status_code == 422
    assert as_controller.json()["detail"] == (
        "party: your organisation's kind is processor: it cannot be the controller of an agreement"
    )
    operator = str(uuid.uuid4())
    await introduce(parties.platform, {operator: "operator"})
    for party in ("controller", "processor"):
        refused = await _create(parties, operator, party=party)
        assert refused.status_code == 422
        assert refused.json()["detail"] == (
            f"party: your organisation's kind is operator: it cannot be the {party} of an agreement"
        )
    assert await _stored(parties.platform) == before


async def test_an_organisation_the_directory_does_not_know_yet_is_asked_to_retry(
    parties: Parties,
) -> None:
    """Its event may not be consumed yet: refused as a conflict to retry, never unchecked."""
    newcomer = str(uuid.uuid4())
    before = await _stored(parties.platform)
    refused = await _create(parties, newcomer, counterparty_id=parties.processor)
    assert refused.status_code == 409
    assert "not known to the agreements service yet" in refused.json()["detail"]
    assert await _stored(parties.platform) == before

    await introduce(parties.platform, {newcomer: "controller"})
    retried = await _create(parties, newcomer, counterparty_id=parties.processor)
    assert retried.status_code == 201, retried.text


async def test_the_directory_learns_an_organisation_from_identitys_event_exactly_once(
    solo: Platform,
) -> None:
    """A redelivered event (same id, published again past JetStream's duplicate window) is
    taken in once: one entry, one inbox receipt, the first event named as its teacher."""
    organisation = str(uuid.uuid4())
    event = organisation_created(organisation, "processor")
    await publish(solo.nats_url, event)
    known = await eventually(lambda: _known(solo, organisation))
    assert known is not None
    assert (known.kind, known.learnt_from, known.event_id) == (
        OrganisationKind.processor,
        LearntFrom.event,
        event.id,
    )
    assert known.name is None  # identity's event carries no name

    connection = await nats.connect(servers=nats_servers(solo.nats_url))
    try:
        js = connection.jetstream()
        again = await js.publish(
            event.nats_subject, event.to_json(), headers={"Nats-Msg-Id": f"{event.id}-again"}
        )

        async def handled() -> bool:
            info = await js.consumer_info(
                solo.settings("agreements").stream_name, ORGANISATIONS_DURABLE
            )
            return info.ack_floor.stream_seq >= again.seq and not info.num_ack_pending

        await eventually(handled)
    finally:
        await connection.close()

    async with solo.runtime("agreements").sessions() as session:
        entries = (
            await session.scalars(
                select(KnownOrganisation).where(
                    col(KnownOrganisation.id) == uuid.UUID(organisation)
                )
            )
        ).all()
        receipts = (
            await session.scalars(
                select(InboxReceipt).where(col(InboxReceipt.event_id) == event.id)
            )
        ).all()
    assert [(e.event_id, e.known_since) for e in entries] == [(event.id, known.known_since)]
    assert [r.consumer for r in receipts] == [ORGANISATIONS_DURABLE]
    assert solo.runtime("agreements").consumers[ORGANISATIONS_DURABLE].duplicates == 1


async def test_the_demo_seed_knows_its_organisations_and_identitys_later_events_change_nothing(
    solo: Platform,
) -> None:
    """Start order does not matter: the seed registers UTOPIA, iBeauty and the operator itself,
    a second seed and identity's events about them are no-ops."""
    runtime = solo.runtime("agreements")
    for _ in range(2):
        await seed_demo_contract(
            sessions=runtime.sessions, outbox=runtime.outbox, service="agreements"
        )
    events = [
        organisation_created(UTOPIA_ID, "controller"),
        organisation_created(IBEAUTY_ID, "processor"),
        organisation_created(OPERATOR_ID, "operator"),
    ]
    await publish(solo.nats_url, *events)
    tally = runtime.consumers[ORGANISATIONS_DURABLE]

    async def all_taken_in() -> bool:
        return tally.stored >= 3

    await eventually(all_taken_in)
    for organisation, kind in ((UTOPIA_ID, "controller"), (IBEAUTY_ID, "processor")):
        known = await _known(solo, organisation)
        assert known is not None
        assert (known.kind, known.learnt_from, known.event_id) == (kind, LearntFrom.demo_seed, None)
    utopia = await _known(solo, UTOPIA_ID)
    assert utopia is not None and utopia.name == "UTOPIA"


async def test_identitys_event_corrects_a_kind_an_earlier_source_had_wrong(solo: Platform) -> None:
    organisation = str(uuid.uuid4())
    runtime = solo.runtime("agreements")
    await directory.register(
        runtime.sessions,
        {uuid.UUID(organisation): (None, OrganisationKind.controller)},
        learnt_from=LearntFrom.agreements,
    )
    event = organisation_created(organisation, "processor")
    await publish(solo.nats_url, event)

    async def corrected() -> KnownOrganisation | None:
        known = await _known(solo, organisation)
        return known if known is not None and known.event_id == event.id else None

    known = await eventually(corrected)
    assert known is not None
    assert (known.kind, known.learnt_from) == (OrganisationKind.processor, LearntFrom.event)
