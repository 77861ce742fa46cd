"""Reading subprocessors: an agreement's notices, and a processor's current list with history."""

import uuid
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.agreements import domain
from services.agreements.access import find, tenant_of
from services.agreements.clocks import AGREED
from services.agreements.lifecycle import store
from services.agreements.subprocessors import store as records
from services.agreements.subprocessors.schemas import (
    ChangePublic,
    ChangeWithNotices,
    NoticePublic,
    SubprocessorList,
)
from services.agreements.subprocessors.service import notice_view
from services.agreements.subprocessors.store import SubprocessorChange, SubprocessorNotice
from shared.auth import Principal
from shared.events.contracts.agreements import RecordsRead, SubprocessorsListed
from shared.outbox import Outbox


async def agreement_notices(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, agreement_id: uuid.UUID
) -> list[NoticePublic]:
    now = datetime.now(UTC)
    async with session.begin():
        agreement = await find(session, principal, agreement_id)
        notices = await records.notices_of_agreement(session=session, agreement_id=agreement.id)
        changes = await records.changes_by_id(
            session=session, change_ids=[n.change_id for n in notices]
        )
        outbox.add(
            session,
            type="dpa.agreements.record.listed.v1",
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=RecordsRead(
                agreement_id=agreement.id,
                record="subprocessor_notice",
                record_ids=[n.id for n in notices],
            ),
        )
    return [notice_view(n, changes[n.change_id], now) for n in notices]


def _current(
    changes: list[SubprocessorChange],
    notices: list[SubprocessorNotice],
    today: date,
) -> list[SubprocessorChange]:
    """Changes in force: agreed by every notice given (a change with no notice needed none)."""
    by_change: dict[uuid.UUID, list[SubprocessorNotice]] = {}
    for notice in notices:
        by_change.setdefault(notice.change_id, []).append(notice)
    entries = [
        (
            c.id,
            c.replaces_id,
            c.effective_date,
            (c.withdrawn_at is None and any(n.decision in AGREED for n in by_change.get(c.id, [])))
            or (c.withdrawn_at is None and not by_change.get(c.id)),
        )
        for c in changes
    ]
    live = domain.subprocessors_in_force(entries, today=today)
    return [c for c in changes if c.id in live]


async def processor_list(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, processor_id: uuid.UUID
) -> SubprocessorList:
    """The processor's list; its controllers see it too, with only their own agreements' notices."""
    now = datetime.now(UTC)
    reader = uuid.UUID(principal.organisation_id)
    async with session.begin():
        if reader != processor_id:
            mine = await store.list_agreements(session=session, organisation_id=reader, limit=1000)
            if not any(a.processor_id == processor_id and a.controller_id == reader for a in mine):
                raise domain.NotFound("Processor")
        changes = await records.changes_of_processor(session=session, processor_id=processor_id)
        notices = await records.notices_of_processor(session=session, processor_id=processor_id)
        current = _current(changes, notices, now.date())
        visible = [n for n in notices if reader in (processor_id, n.controller_id)]
        outbox.add(
            session,
            type="dpa.agreements.subprocessor.listed.v1",
            tenant=principal.organisation_id,
            actor=principal.actor,
            subject=str(processor_id),
            data=SubprocessorsListed(processor_id=processor_id, change_ids=[c.id for c in changes]),
        )
    return SubprocessorList(
        processor_id=processor_id,
        current=[ChangePublic.model_validate(c) for c in current],
        history=[
            ChangeWithNotices(
                **ChangePublic.model_validate(c).model_dump(),
                notices=[notice_view(n, c, now) for n in visible if n.change_id == c.id],
            )
            for c in changes
        ],
    )
