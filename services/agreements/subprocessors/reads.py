"""Reading subprocessors: an agreement's notices, and a processor's current list with history."""

import uuid
from collections.abc import Collection
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from services.agreements import clocks, domain
from services.agreements.access import find, record_read, tenant_of
from services.agreements.clocks import AGREED, NoticeDecision
from services.agreements.domain import AgreementStatus
from services.agreements.lifecycle import store
from services.agreements.lifecycle.schemas import ListedSubprocessor
from services.agreements.lifecycle.store import Agreement
from services.agreements.subprocessors import store as records
from services.agreements.subprocessors.schemas import (
    AgreementSubprocessors,
    ChangeWithNotices,
    InForce,
    NoticeList,
    SubprocessorList,
)
from services.agreements.subprocessors.service import change_view, notice_view
from services.agreements.subprocessors.store import (
    FlowDownAgreement,
    SubprocessorChange,
    SubprocessorNotice,
)
from shared import pagination
from shared.auth import Principal
from shared.event_types.agreements import RECORD_LISTED, SUBPROCESSOR_LISTED
from shared.events.contracts.agreements import RecordsRead, SubprocessorsListed
from shared.moments import as_utc
from shared.outbox import Outbox

Basis = Literal["signed", "approved", "accepted"]


async def agreement_notices(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    limit: int,
    cursor: str | None = None,
) -> NoticeList:
    """A page of the subprocessor changes notified under the agreement, oldest first (the read
    is recorded)."""
    now = datetime.now(UTC)
    after = pagination.moment_and_uuid(cursor) if cursor else None
    async with session.begin():
        agreement = await find(session, principal, agreement_id)
        found = await records.notices_of_agreement(
            session=session, agreement_id=agreement.id, limit=limit + 1, after=after
        )
        notices, last = pagination.split(found, limit)
        change_ids = [n.change_id for n in notices]
        changes = await records.changes_by_id(session=session, change_ids=change_ids)
        flow_downs = await records.flow_downs(session=session, change_ids=change_ids)
        outbox.add(
            session,
            type=RECORD_LISTED,
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=RecordsRead(
                agreement_id=agreement.id,
                record="subprocessor_notice",
                record_ids=[n.id for n in notices],
            ),
        )
    return NoticeList(
        items=[
            notice_view(n, changes[n.change_id], now, flow_downs.get(n.change_id)) for n in notices
        ],
        next_cursor=pagination.after_moment(last.notified_at, last.id) if last else None,
    )


def _in_force(
    changes: list[SubprocessorChange],
    holding: Collection[uuid.UUID],
    today: date,
) -> list[SubprocessorChange]:
    """Changes in force, given those that hold for the agreements considered."""
    entries = [(c.id, c.replaces_id, c.effective_date, c.id in holding) for c in changes]
    live = domain.subprocessors_in_force(entries, today=today)
    return [c for c in changes if c.id in live]


def _bases_for_agreement(
    changes: list[SubprocessorChange],
    notices: list[SubprocessorNotice],
    at_signing: list[dict[str, Any]] | None,
) -> dict[uuid.UUID, Basis]:
    """Why each change holds for one agreement, from its own controller only (DPA-5)."""
    listed = {str(entry["change_id"]) for entry in at_signing or []}
    decisions = {n.change_id: n.decision for n in notices}
    bases: dict[uuid.UUID, Basis] = {}
    for change in changes:
        decision = decisions.get(change.id)
        if clocks.authorised(
            withdrawn=change.withdrawn_at is not None,
            listed_at_signing=str(change.id) in listed,
            decision=decision,
        ):
            bases[change.id] = (
                "signed"
                if str(change.id) in listed
                else "approved"
                if decision is NoticeDecision.approved
                else "accepted"
            )
    return bases


def _processor_uses(
    changes: list[SubprocessorChange], notices: list[SubprocessorNotice]
) -> set[uuid.UUID]:
    """The processor's own view: the changes it may use somewhere, agreed under at least one
    agreement, or needing no notice because no agreement was live when it was proposed."""
    by_change: dict[uuid.UUID, list[SubprocessorNotice]] = {}
    for notice in notices:
        by_change.setdefault(notice.change_id, []).append(notice)
    return {
        change.id
        for change in changes
        if change.withdrawn_at is None
        and (
            not by_change.get(change.id) or any(n.decision in AGREED for n in by_change[change.id])
        )
    }


async def _signed_list(session: AsyncSession, agreement: Agreement) -> list[dict[str, Any]] | None:
    first = await store.version(session=session, agreement_id=agreement.id, number=1)
    return first.subprocessors if first is not None else None


async def agreement_subprocessors(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, agreement_id: uuid.UUID
) -> AgreementSubprocessors:
    """The subprocessors in force for one agreement, each with why, and the list it was signed
    with; read by either party (the processor sees what it may use for this controller)."""
    now = datetime.now(UTC)
    async with session.begin():
        agreement = await find(session, principal, agreement_id)
        at_signing = await _signed_list(session, agreement)
        changes: list[SubprocessorChange] = []
        bases: dict[uuid.UUID, Basis] = {}
        if agreement.processor_id is not None and agreement.status is not AgreementStatus.draft:
            changes = await records.changes_of_processor(
                session=session, processor_id=agreement.processor_id
            )
            notices = await records.notices_of_agreement(session=session, agreement_id=agreement.id)
            bases = _bases_for_agreement(changes, notices, at_signing)
        current = _in_force(changes, bases, now.date())
        flow_downs = await records.flow_downs(session=session, change_ids=[c.id for c in current])
        record_read(
            session,
            outbox,
            principal,
            agreement,
            record="subprocessor",
            record_ids=[c.id for c in current],
        )
    return AgreementSubprocessors(
        agreement_id=agreement.id,
        processor_id=agreement.processor_id,
        in_force=[
            InForce(**change_view(c, flow_downs.get(c.id)).model_dump(), basis=bases[c.id])
            for c in current
        ],
        at_signing=(
            [ListedSubprocessor.model_validate(entry) for entry in at_signing]
            if at_signing is not None
            else None
        ),
    )


async def processor_list(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    processor_id: uuid.UUID,
    limit: int = pagination.MAX_LIMIT,
    cursor: str | None = None,
) -> SubprocessorList:
    """The processor's list: what is in force, whole, and a page of its history of changes,
    oldest first. The processor sees what it may use under at least one agreement; a
    controller sees what holds under its own agreements with it, and only their notices."""
    now = datetime.now(UTC)
    after = pagination.moment_and_uuid(cursor) if cursor else None
    reader = uuid.UUID(principal.organisation_id)
    async with session.begin():
        changes = await records.changes_of_processor(session=session, processor_id=processor_id)
        notices = await records.notices_of_processor(session=session, processor_id=processor_id)
        holding = await _held_for_reader(session, reader, processor_id, changes, notices)
        current = _in_force(changes, holding, now.date())
        visible = [n for n in notices if reader in (processor_id, n.controller_id)]
        # What is in force needs every change; the answer shows a page of them.
        beyond = [c for c in changes if after is None or (as_utc(c.proposed_at), c.id) > after]
        page, last = pagination.split(beyond, limit)
        shown = {c.id for c in current} | {c.id for c in page}
        flow_downs = await records.flow_downs(session=session, change_ids=list(shown))
        outbox.add(
            session,
            type=SUBPROCESSOR_LISTED,
            tenant=principal.organisation_id,
            actor=principal.actor,
            subject=str(processor_id),
            data=SubprocessorsListed(
                processor_id=processor_id, change_ids=[c.id for c in changes if c.id in shown]
            ),
        )
    return SubprocessorList(
        processor_id=processor_id,
        current=[change_view(c, flow_downs.get(c.id)) for c in current],
        history=[_with_notices(c, visible, flow_downs.get(c.id), now) for c in page],
        next_cursor=pagination.after_moment(last.proposed_at, last.id) if last else None,
    )


async def _held_for_reader(
    session: AsyncSession,
    reader: uuid.UUID,
    processor_id: uuid.UUID,
    changes: list[SubprocessorChange],
    notices: list[SubprocessorNotice],
) -> set[uuid.UUID]:
    """The changes that hold for the reader: for the processor, what it may use somewhere; for
    a controller, what holds under its own agreements with the processor (none: NotFound)."""
    if reader == processor_id:
        return _processor_uses(changes, notices)
    mine = await store.agreements_between(
        session=session, controller_id=reader, processor_id=processor_id
    )
    if not mine:
        raise domain.NotFound("Processor")
    holding: set[uuid.UUID] = set()
    for agreement in mine:
        if agreement.status is AgreementStatus.draft:
            continue
        own = [n for n in notices if n.agreement_id == agreement.id]
        at_signing = await _signed_list(session, agreement)
        holding |= set(_bases_for_agreement(changes, own, at_signing))
    return holding


def _with_notices(
    change: SubprocessorChange,
    visible: list[SubprocessorNotice],
    flow_down: FlowDownAgreement | None,
    now: datetime,
) -> ChangeWithNotices:
    """A change in the processor's history, with the notices of it the reader may see."""
    return ChangeWithNotices(
        **change_view(change, flow_down).model_dump(),
        notices=[
            notice_view(n, change, now, flow_down) for n in visible if n.change_id == change.id
        ],
    )
