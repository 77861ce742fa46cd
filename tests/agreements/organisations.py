"""Organisations the agreements service knows, as identity makes them known: by its event.

An agreement's parties must be organisations the agreements directory knows, of the right kind.
Tests that make up organisation ids call :func:`introduce`, which publishes identity's real
``dpa.identity.organisation.created.v1`` for each onto the real nats-server (to the envelope's
subject, ``Nats-Msg-Id`` = the event id, as identity's relay does) and waits until the running
agreements service has learnt them; :func:`new_organisation` makes up one and introduces it. For
agreements services running as processes of their own, :func:`announce` publishes the events and
waits until their durable consumer has taken them in; :func:`once_known` retries a request while
the service answers that it does not know the caller yet (an organisation identity just created).
:func:`register` writes the directory directly, the way the demo seed does.
"""

import uuid
from collections.abc import Awaitable, Callable, Mapping

import httpx
import nats
from nats.js.errors import NotFoundError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.agreements.directory import store as directory
from services.agreements.directory.consumers import ORGANISATIONS_DURABLE
from services.agreements.domain import OrganisationKind
from shared.events import Actor, ActorType, Envelope, new_event
from shared.events.contracts.identity import OrganisationCreated
from shared.settings import nats_servers
from tests.support.platform import Platform, eventually

IDENTITY = "/dpa/identity"


def organisation_created(organisation_id: str, kind: str) -> Envelope:
    """The event identity emits when an operator creates an organisation."""
    return new_event(
        source=IDENTITY,
        type="dpa.identity.organisation.created.v1",
        tenant=organisation_id,
        actor=Actor(id="operator-cli", type=ActorType.system),
        subject=organisation_id,
        data=OrganisationCreated(
            organisation_id=uuid.UUID(organisation_id),
            kind=OrganisationKind(kind).value,
        ),
    )


async def publish(nats_url: str, *events: Envelope) -> None:
    """Publish envelopes onto the stream as identity's relay would."""
    connection = await nats.connect(servers=nats_servers(nats_url))
    try:
        js = connection.jetstream()
        for event in events:
            await js.publish(
                event.nats_subject, event.to_json(), headers={"Nats-Msg-Id": str(event.id)}
            )
    finally:
        await connection.close()


async def announce(
    nats_url: str,
    organisations: Mapping[str, str],
    *,
    stream: str = "DPA_EVENTS",
    within: float = 30.0,
) -> None:
    """Publish identity's event for each organisation (id -> kind) and wait until the agreements
    services' directory consumer has acknowledged them (they are stored by then)."""
    connection = await nats.connect(servers=nats_servers(nats_url))
    try:
        js = connection.jetstream()
        last = 0
        for organisation, kind in organisations.items():
            event = organisation_created(organisation, kind)
            ack = await js.publish(
                event.nats_subject, event.to_json(), headers={"Nats-Msg-Id": str(event.id)}
            )
            last = int(ack.seq)

        async def taken_in() -> bool:
            try:
                info = await js.consumer_info(stream, ORGANISATIONS_DURABLE)
            except NotFoundError:  # the service has not registered its consumer yet
                return False
            return info.ack_floor.stream_seq >= last and not info.num_ack_pending

        await eventually(taken_in, within=within, interval=0.1)
    finally:
        await connection.close()


async def count_known(sessions: async_sessionmaker[AsyncSession], ids: list[uuid.UUID]) -> int:
    async with sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(directory.KnownOrganisation)
            .where(col(directory.KnownOrganisation.id).in_(ids))
        )
        return int(count or 0)


async def introduce(platform: Platform, organisations: Mapping[str, str]) -> None:
    """Make organisations (id -> kind) known through identity's event; wait until they are."""
    await publish(
        platform.nats_url,
        *(organisation_created(organisation, kind) for organisation, kind in organisations.items()),
    )
    sessions = platform.runtime("agreements").sessions
    ids = [uuid.UUID(organisation) for organisation in organisations]
    await eventually(lambda: _all_known(sessions, ids))


async def _all_known(sessions: async_sessionmaker[AsyncSession], ids: list[uuid.UUID]) -> bool:
    return await count_known(sessions, ids) == len(ids)


async def new_organisation(
    platform: Platform, kind: str = "controller", *, by_event: bool = True
) -> str:
    """A made-up organisation id the running agreements service knows as ``kind``: from
    identity's event, or registered directly (``by_event=False``) where a test counts the
    organisation's audit entries or notices."""
    organisation = str(uuid.uuid4())
    if by_event:
        await introduce(platform, {organisation: kind})
    else:
        await register(platform, {organisation: kind})
    return organisation


async def once_known(
    create: Callable[[], Awaitable[httpx.Response]], *, within: float = 30.0
) -> httpx.Response:
    """Send ``create`` until the agreements service knows the caller's organisation (no 409
    saying it does not yet); returns that answer, whatever it is."""

    async def answered() -> httpx.Response | None:
        answer = await create()
        if answer.status_code == 409 and "not known" in answer.text:
            return None
        return answer

    answer = await eventually(answered, within=within, interval=0.1)
    assert answer is not None
    return answer


async def register(platform: Platform, organisations: Mapping[str, str]) -> None:
    """Make organisations (id -> kind) known directly, as the demo seed does: no identity event
    on the stream, so nothing lands in the audit log or the notifier under their ids."""
    await directory.register(
        platform.runtime("agreements").sessions,
        {
            uuid.UUID(organisation): (None, OrganisationKind(kind))
            for organisation, kind in organisations.items()
        },
        learnt_from=directory.LearntFrom.demo_seed,
    )
