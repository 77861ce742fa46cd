"""Retention that follows Annex 1 (TOM-T1, TOM-32a, DPA-4b): the periods of the agreement in
force, each record's categories checked against them, the sweep that deletes a record's free
text once its period has passed (one ``retention.expired`` event per record, naming its
categories), and the schedule both parties read.

The periods come from the Annex 1 of the version in force when the sweep runs, so an amendment
that changes a period applies to records already held. The rules are in ``rules``.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.agreements.access import find, tenant_of
from services.agreements.assistance import store as assistance
from services.agreements.assistance.store import AssistanceRequest, SubjectRequest
from services.agreements.lifecycle import annex1
from services.agreements.lifecycle import store as lifecycle
from services.agreements.lifecycle.annex1 import Period
from services.agreements.lifecycle.store import Agreement
from services.agreements.retention import rules
from services.agreements.retention.schemas import CategoryRetention, RetentionSchedule
from shared.auth import Principal
from shared.event_types.agreements import AGREEMENTS_RETENTION_EXPIRED
from shared.events import Actor
from shared.events.contracts.agreements import RetentionApplied
from shared.moments import as_utc
from shared.outbox import Outbox

RECORDS = ("subject_request", "assistance_request")


async def periods(session: AsyncSession, agreement: Agreement) -> dict[str, Period]:
    """The Annex 1 categories of the version in force, with their periods."""
    return annex1.periods_of(await lifecycle.annex1_in_force(session=session, agreement=agreement))


@dataclass(frozen=True)
class _Held:
    """What retention needs of one record, of either kind."""

    record: str
    row: SubjectRequest | AssistanceRequest
    ended_at: datetime | None

    @property
    def categories(self) -> list[str]:
        return list(self.row.data_categories or [])

    @property
    def applied_at(self) -> datetime | None:
        return as_utc(self.row.retention_applied_at) if self.row.retention_applied_at else None


def _held(subject: Sequence[SubjectRequest], assisting: Sequence[AssistanceRequest]) -> list[_Held]:
    return [
        *(_Held("subject_request", row, _moment(row.closed_at)) for row in subject),
        *(_Held("assistance_request", row, _moment(row.answered_at)) for row in assisting),
    ]


def _moment(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def _delete_text(held: _Held) -> None:
    row = held.row
    if isinstance(row, SubjectRequest):
        row.summary = ""
        row.assistance = None
        row.outcome_note = None
    else:
        row.question = ""
        row.answer = None


async def delete_expired_text(
    *,
    sessions: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    service: str,
    now: datetime,
    fallback_days: int,
) -> int:
    """Delete, once, the free text of every record whose retention has passed, with one event
    per record in the controller's log."""
    actor = Actor.system(service)
    settled = 0
    async with sessions() as session, session.begin():
        # No period is shorter than a day: a record that ended later cannot be due yet.
        found = await assistance.ended_with_text(session=session, ended_before=now - timedelta(1))
        annexes: dict[uuid.UUID, tuple[Agreement, dict[str, Period]]] = {}
        for held in _held(*found):
            agreement_id = held.row.agreement_id
            if agreement_id not in annexes:
                agreement = await session.get(Agreement, agreement_id)
                assert agreement is not None
                annexes[agreement_id] = (agreement, await periods(session, agreement))
            agreement, annex = annexes[agreement_id]
            days = annex1.kept_days(held.categories, annex, fallback_days)
            if not rules.is_due(held.ended_at, days, now):
                continue
            _delete_text(held)
            held.row.retention_applied_at = now
            outbox.add(
                session,
                type=AGREEMENTS_RETENTION_EXPIRED,
                tenant=tenant_of(agreement),
                actor=actor,
                subject=str(agreement.id),
                data=RetentionApplied(
                    agreement_id=agreement.id,
                    record=held.record,
                    record_id=held.row.id,
                    action="deleted",
                    categories=held.categories,
                    kept_days=days,
                ),
            )
            settled += 1
    return settled


async def schedule(
    *, session: AsyncSession, principal: Principal, agreement_id: uuid.UUID, fallback_days: int
) -> RetentionSchedule:
    """The agreement's retention per Annex 1 category, for either party (auditors included)."""
    async with session.begin():
        agreement = await find(session, principal, agreement_id)
        annex = await periods(session, agreement)
        held = _held(*await assistance.everything_of(session=session, agreement_id=agreement.id))
    in_annex: dict[str, list[_Held]] = {category: [] for category in annex}
    elsewhere: list[_Held] = []
    for record in held:
        known = [category for category in record.categories if category in annex]
        for category in known:
            in_annex[category].append(record)
        if not known:
            elsewhere.append(record)
    return RetentionSchedule(
        agreement_id=agreement.id,
        version=agreement.version,
        fallback_days=fallback_days,
        records=list(RECORDS),
        categories=[
            _category(period.category, period, records, annex, fallback_days)
            for period, records in ((annex[name], records) for name, records in in_annex.items())
        ],
        uncategorised=_category("", None, elsewhere, annex, fallback_days) if elsewhere else None,
    )


def _category(
    name: str,
    period: Period | None,
    records: list[_Held],
    annex: dict[str, Period],
    fallback_days: int,
) -> CategoryRetention:
    waiting = [record for record in records if record.applied_at is None and record.ended_at]
    applied = [record.applied_at for record in records if record.applied_at is not None]
    due = [
        rules.due_at(record.ended_at, annex1.kept_days(record.categories, annex, fallback_days))
        for record in waiting
    ]
    return CategoryRetention(
        name=name,
        retention_days=period.days if period else None,
        retention_note=period.note if period else None,
        kept_days=annex1.kept_days([name] if period else [], annex, fallback_days),
        records_waiting=len(waiting),
        next_due_at=min((moment for moment in due if moment is not None), default=None),
        records_open=sum(1 for record in records if record.ended_at is None),
        last_applied_at=max(applied, default=None),
        records_applied=len(applied),
    )
