"""The agreements service's own directory of the organisations identity created.

An agreement names its two parties by organisation id; only an organisation the directory knows,
of the right kind, can be one (domain.check_own_kind, domain.check_counterparty_kind). The
directory learns from identity's ``dpa.identity.organisation.created.v1`` events (consumers.py)
and never asks identity on a request. The demo seed registers the demo organisations itself, and
the migration that added the table registered the parties of agreements stored before it, each
with the kind its role in that agreement proves.

Identity emits no event when an organisation is renamed, disabled or removed, and its created
event carries no name: an entry is never updated by an event today, and ``name`` is only filled
where the seed knows it.
"""

import uuid
from datetime import UTC, datetime
from enum import StrEnum

import structlog
from sqlalchemy import Column, DateTime
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import Field, SQLModel

from services.agreements.domain import OrganisationKind

log = structlog.get_logger("pactum.agreements.directory")


class LearntFrom(StrEnum):
    """How the directory came to know an organisation."""

    event = "event"  # identity's organisation.created event (``event_id`` names it)
    demo_seed = "demo_seed"  # the demo seed's fixed organisations (shared/demo.py)
    agreements = "agreements"  # a party of an agreement stored before the directory existed


class KnownOrganisation(SQLModel, table=True):
    """One organisation identity created, as the agreements service knows it."""

    __tablename__ = "known_organisation"

    id: uuid.UUID = Field(primary_key=True)  # identity's organisation id
    kind: OrganisationKind
    name: str | None = Field(default=None, max_length=200)
    known_since: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    learnt_from: LearntFrom
    event_id: uuid.UUID | None = None  # the identity event that taught it, if one did


async def kind_of(session: AsyncSession, organisation_id: uuid.UUID) -> OrganisationKind | None:
    """The kind of a known organisation, or None for an id the directory does not know."""
    known = await session.get(KnownOrganisation, organisation_id)
    return known.kind if known is not None else None


async def learn(
    session: AsyncSession,
    *,
    organisation_id: uuid.UUID,
    kind: OrganisationKind,
    learnt_from: LearntFrom,
    event_id: uuid.UUID | None = None,
    name: str | None = None,
) -> bool:
    """Know an organisation, in the caller's transaction; returns whether anything changed.

    Knowing it already with the same kind changes nothing (the seed and the event may both tell).
    Identity's event is the authority on the kind: where an earlier source said otherwise, the
    event's kind wins and the entry records the event.
    """
    known = await session.get(KnownOrganisation, organisation_id)
    if known is None:
        session.add(
            KnownOrganisation(
                id=organisation_id,
                kind=kind,
                name=name,
                known_since=datetime.now(UTC),
                learnt_from=learnt_from,
                event_id=event_id,
            )
        )
        await session.flush()
        return True
    if known.kind is kind or learnt_from is not LearntFrom.event:
        return False
    log.warning(
        "directory.kind_corrected",
        organisation_id=str(organisation_id),
        was=str(known.kind),
        now=str(kind),
    )
    known.kind = kind
    known.learnt_from = learnt_from
    known.event_id = event_id
    await session.flush()
    return True


async def register(
    sessions: async_sessionmaker[AsyncSession],
    organisations: dict[uuid.UUID, tuple[str | None, OrganisationKind]],
    *,
    learnt_from: LearntFrom,
) -> int:
    """Know these organisations (id -> name, kind) in one transaction; idempotent.

    The directory's consumer may store one of them at the same moment: the loser of that race
    tries again and finds it known. Returns how many were new.
    """
    for attempt in range(3):
        try:
            async with sessions() as session, session.begin():
                added = 0
                for organisation_id, (name, kind) in organisations.items():
                    added += await learn(
                        session,
                        organisation_id=organisation_id,
                        kind=kind,
                        learnt_from=learnt_from,
                        name=name,
                    )
            return added
        except IntegrityError:
            if attempt == 2:
                raise
    return 0  # pragma: no cover - the loop returns or raises


TABLES = (KnownOrganisation.__table__,)  # type: ignore[attr-defined]
