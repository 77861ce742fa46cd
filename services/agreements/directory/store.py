"""The agreements service's own directory of the organisations identity created.

An agreement names its two parties by organisation id; only an active organisation the directory
knows, of the right kind, can become one (domain.check_own_kind, domain.check_counterparty_kind,
:func:`party_kind_of`). The directory learns from identity's organisation events (consumers.py)
and never asks identity on a request:

- ``organisation.created`` (kind, and the name since it is carried) and ``organisation.announced``
  (kind, name and status, re-stated on an operator's request) make an organisation known;
- ``organisation.updated`` renames it, ``organisation.disabled`` / ``organisation.enabled`` set its
  status. A disabled organisation cannot become a party to a new agreement; the agreements it is
  a party to stay as they are.

Later facts win by event time, field by field (``name_as_of``, ``status_as_of``): an event older
than what the entry already holds changes nothing, so a redelivered, re-announced or late event
never undoes a newer one. Events need not arrive in the order identity wrote them (an operator's
command and a service replica each publish their own outbox): a rename or status change for an
organisation not known yet is kept on an entry without a kind, which is no party to anything
until ``organisation.created`` or ``organisation.announced`` brings the kind; the facts held stay
wherever they are newer than the ones that event carries.

The demo seed registers the demo organisations itself, and the migration that added the table
registered the parties of agreements stored before it, each with the kind its role in that
agreement proves (neither has a time: any event overrides them).
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import structlog
from sqlalchemy import Column, DateTime, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import Field, SQLModel, col

from services.agreements.domain import AgreementRuleBroken, OrganisationKind
from shared.moments import as_utc

log = structlog.get_logger("pactum.agreements.directory")


class LearntFrom(StrEnum):
    """How the directory came to know an organisation."""

    event = "event"  # identity's organisation events (``event_id`` names the last one)
    demo_seed = "demo_seed"  # the demo seed's fixed organisations (shared/demo.py)
    agreements = "agreements"  # a party of an agreement stored before the directory existed


class OrganisationStatus(StrEnum):
    active = "active"
    disabled = "disabled"  # an operator disabled it in identity: no new agreements


class KnownOrganisation(SQLModel, table=True):
    """One organisation identity created, as the agreements service knows it."""

    __tablename__ = "known_organisation"

    id: uuid.UUID = Field(primary_key=True)  # identity's organisation id
    # None: only renames or status changes arrived so far, before the event that says the kind
    # (the organisation is not known as a party until it does).
    kind: OrganisationKind | None = None
    name: str | None = Field(default=None, max_length=200)
    known_since: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    learnt_from: LearntFrom
    event_id: uuid.UUID | None = None  # the last identity event that changed it, if one did
    status: OrganisationStatus = Field(default=OrganisationStatus.active)
    # Identity's event time of the fact each field holds (None: not from an event).
    name_as_of: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    status_as_of: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


@dataclass(frozen=True)
class OrganisationFact:
    """What one identity event says about an organisation, as of the event's time.

    ``kind`` is None for events that do not carry it (renamed, disabled, enabled): for an
    organisation not known yet, those are held until an event with the kind makes it known.
    ``name`` / ``status`` None: the event does not say.
    """

    organisation_id: uuid.UUID
    at: datetime
    event_id: uuid.UUID
    kind: OrganisationKind | None = None
    name: str | None = None
    status: OrganisationStatus | None = None


async def kind_of(session: AsyncSession, organisation_id: uuid.UUID) -> OrganisationKind | None:
    """The kind of the caller's organisation as it enters a new agreement, or None for an id the
    directory does not know (yet). A disabled organisation enters no new agreement: refused with
    a sentence that says so (the caller's own organisation: no oracle on anyone else's)."""
    known = await session.get(KnownOrganisation, organisation_id)
    if known is None or known.kind is None:
        return None
    if known.status is OrganisationStatus.disabled:
        raise AgreementRuleBroken(
            "your organisation is disabled: it cannot enter a new agreement (ask the operator)"
        )
    return known.kind


async def party_kind_of(
    session: AsyncSession, organisation_id: uuid.UUID
) -> OrganisationKind | None:
    """The kind of a known organisation that may become a party to a new agreement: None for an
    unknown or a disabled one (the caller answers both alike, so no answer tells them apart)."""
    known = await session.get(KnownOrganisation, organisation_id)
    if known is None or known.kind is None or known.status is OrganisationStatus.disabled:
        return None
    return known.kind


async def entries_of(
    session: AsyncSession, organisation_ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, KnownOrganisation]:
    """The directory's entries of these organisations, for those it holds one, in one query.

    An entry's ``name`` is identity's latest (renames included), None where no event or source
    named it. Ask only about organisations the caller may see: the parties of an agreement it is
    a party to. While the caller holds the entries, :func:`kind_of` and :func:`party_kind_of`
    find them in the session and read nothing again.
    """
    wanted = {organisation_id for organisation_id in organisation_ids if organisation_id}
    if not wanted:
        return {}
    found = await session.scalars(
        select(KnownOrganisation).where(col(KnownOrganisation.id).in_(wanted))
    )
    return {entry.id: entry for entry in found.all()}


def _newer(at: datetime, held: datetime | None) -> bool:
    if held is None:
        return True
    return at >= as_utc(held)


async def take_in(session: AsyncSession, fact: OrganisationFact) -> bool:
    """Apply one identity event to the directory, in the caller's transaction; returns whether
    anything changed. Each field takes the fact only if it is at least as recent as the one held.

    The consumer takes in several events at once, so two facts about one organisation may be
    applied side by side: the entry is read under a row lock (PostgreSQL; SQLite writes one at a
    time), and the first fact about an organisation is inserted in a savepoint, so that the one
    that loses the insert race applies its fact to the winner's entry instead of being dropped.
    """
    known = await _locked_entry(session, fact.organisation_id)
    if known is None:
        if fact.kind is None:
            # Created (or announced) is still on its way: hold this fact until it arrives.
            log.info(
                "directory.fact_held_for_unknown_organisation",
                organisation_id=str(fact.organisation_id),
                hint="pactum announce-organisations re-states every organisation",
            )
        try:
            async with session.begin_nested():
                session.add(_first_entry(fact))
            return True
        except IntegrityError:
            known = await _locked_entry(session, fact.organisation_id)
            if known is None:  # pragma: no cover - the conflicting row is committed
                raise
    changed = _take_kind(known, fact)
    changed |= _take_name_and_status(known, fact)
    if changed:
        known.learnt_from = LearntFrom.event
        known.event_id = fact.event_id
    await session.flush()
    return changed


def _first_entry(fact: OrganisationFact) -> KnownOrganisation:
    """The entry of an organisation the directory first hears of through this fact."""
    status = _status_said(fact)
    return KnownOrganisation(
        id=fact.organisation_id,
        kind=fact.kind,
        name=fact.name,
        known_since=datetime.now(UTC),
        learnt_from=LearntFrom.event,
        event_id=fact.event_id,
        status=status or OrganisationStatus.active,
        name_as_of=fact.at if fact.name is not None else None,
        status_as_of=fact.at if status is not None else None,
    )


def _take_kind(known: KnownOrganisation, fact: OrganisationFact) -> bool:
    """The kind the fact says, if it says one: identity's event is the authority on it (a seed
    or the migration may have guessed). Returns whether the entry's kind changed."""
    if fact.kind is None or fact.kind is known.kind:
        return False
    if known.kind is not None:
        log.warning(
            "directory.kind_corrected",
            organisation_id=str(fact.organisation_id),
            was=str(known.kind),
            now=str(fact.kind),
        )
    # With no kind before, the facts held for it so far now describe a known organisation.
    known.kind = fact.kind
    return True


def _take_name_and_status(known: KnownOrganisation, fact: OrganisationFact) -> bool:
    """The name and status the fact says, each only if the fact is at least as recent as the
    one held. Returns whether either changed."""
    changed = False
    if fact.name is not None and _newer(fact.at, known.name_as_of):
        changed |= known.name != fact.name
        known.name, known.name_as_of = fact.name, fact.at
    status = _status_said(fact)
    if status is not None and _newer(fact.at, known.status_as_of):
        changed |= known.status is not status
        known.status, known.status_as_of = status, fact.at
    return changed


async def _locked_entry(
    session: AsyncSession, organisation_id: uuid.UUID
) -> KnownOrganisation | None:
    return await session.get(
        KnownOrganisation, organisation_id, with_for_update=True, populate_existing=True
    )


def _status_said(fact: OrganisationFact) -> OrganisationStatus | None:
    """The status an event states: its own, or active for one that makes the organisation known
    (created says it exists and is active)."""
    return fact.status or (OrganisationStatus.active if fact.kind is not None else None)


async def learn(
    session: AsyncSession,
    *,
    organisation_id: uuid.UUID,
    kind: OrganisationKind,
    learnt_from: LearntFrom,
    name: str | None = None,
) -> bool:
    """Know an organisation from a source other than identity's events (the demo seed), in the
    caller's transaction; returns whether it was new. An organisation known already is left as
    it is: identity's events are the authority on it (:func:`take_in`); one that only has facts
    held for it (no kind yet) takes the kind given here."""
    held = await session.get(KnownOrganisation, organisation_id)
    if held is not None:
        if held.kind is not None:
            return False
        held.kind = kind
        held.name = held.name if held.name_as_of is not None else name
        await session.flush()
        return True
    session.add(
        KnownOrganisation(
            id=organisation_id,
            kind=kind,
            name=name,
            known_since=datetime.now(UTC),
            learnt_from=learnt_from,
        )
    )
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
