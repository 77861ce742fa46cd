"""Use cases of personal-data breaches (TOM-O4, art. 33 GDPR).

The processor reports; each affected controller is notified under each affected agreement, which
starts its 72-hour clock. Whether the processor itself was late is measured against the hours its
agreement gives it from the moment it became aware. Later phases complete the report (art. 33(4)).
Events carry categories, numbers and deadlines, never the free text or the contact point.
"""

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.agreements import clocks, domain
from services.agreements.access import tell_controllers
from services.agreements.breaches import events, reads
from services.agreements.breaches import store as records
from services.agreements.breaches.schemas import (
    AuthorityNotification,
    BreachCreate,
    BreachNoticePublic,
    BreachPhaseCreate,
    BreachPublic,
)
from services.agreements.breaches.store import Breach, BreachNotice, BreachPhase
from services.agreements.domain import HOLDING_DATA
from services.agreements.lifecycle import store
from services.agreements.lifecycle.store import Agreement
from shared.auth import Principal
from shared.event_types.agreements import AUTHORITY_NOTIFICATION_REPORTED, BREACH_NOTICE_UPDATED
from shared.events.contracts.agreements import (
    AuthorityNotificationRecorded,
    BreachUpdated,
)
from shared.outbox import Outbox


async def _affected(
    session: AsyncSession, processor_id: uuid.UUID, body: BreachCreate
) -> list[Agreement]:
    # Signed, active, or terminated but not closed: the data is still with the processor.
    live = await store.agreements_of_processor(
        session=session, processor_id=processor_id, statuses=HOLDING_DATA
    )
    if body.agreement_ids is not None:
        by_id = {agreement.id: agreement for agreement in live}
        unknown = [str(i) for i in body.agreement_ids if i not in by_id]
        if unknown or not body.agreement_ids:
            raise domain.AgreementRuleBroken(
                "agreement_ids must name agreements where you are the processor and that are "
                "not closed"
            )
        return [by_id[i] for i in dict.fromkeys(body.agreement_ids)]
    affected = []
    for agreement in live:
        version = await store.version(
            session=session, agreement_id=agreement.id, number=agreement.version
        )
        assert version is not None
        if domain.categories_touched(domain.category_names(version.annex1), body.data_categories):
            affected.append(agreement)
    if not affected:
        raise domain.AgreementRuleBroken(
            "none of your agreements that are not closed covers these data categories: name "
            "agreement_ids"
        )
    return affected


def issue_notice(breach: Breach, agreement: Agreement, now: datetime) -> BreachNotice:
    """The notice one controller gets under one agreement, with the clocks it starts."""
    assert agreement.controller_id is not None
    deadline = clocks.processor_deadline(
        aware_at=breach.aware_at, notice_hours=agreement.breach_notice_hours
    )
    return BreachNotice(
        breach_id=breach.id,
        agreement_id=agreement.id,
        controller_id=agreement.controller_id,
        notified_at=now,
        processor_deadline=deadline,
        processor_late=clocks.is_late(done_at=now, deadline=deadline),
        authority_deadline=clocks.authority_deadline(notified_at=now),
    )


async def report(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, body: BreachCreate
) -> BreachPublic:
    now = datetime.now(UTC)
    clocks.check_aware_at(aware_at=body.aware_at, now=now)
    processor_id = uuid.UUID(principal.organisation_id)
    async with session.begin():
        agreements = await _affected(session, processor_id, body)
        breach = Breach(
            processor_id=processor_id,
            reported_by=principal.user_id,
            reported_at=now,
            **body.model_dump(exclude={"agreement_ids"}),
        )
        session.add(breach)
        await session.flush()
        notices = [issue_notice(breach, agreement, now) for agreement in agreements]
        session.add_all(notices)
        await session.flush()
        events.record_report(session, outbox, principal, breach, notices)
        return reads.view(breach, [], notices, now)


async def add_phase(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    breach_id: uuid.UUID,
    body: BreachPhaseCreate,
) -> BreachPublic:
    changed = sorted(k for k in body.model_dump(exclude_unset=True) if k != "note")
    if not changed:
        raise domain.AgreementRuleBroken("a phase completes at least one field of the report")
    now = datetime.now(UTC)
    async with session.begin():
        breach, notices = await reads.visible(session, principal, breach_id)
        if breach.processor_id != uuid.UUID(principal.organisation_id):
            raise domain.NotAllowed("only the processor may do this")
        for name in changed:
            setattr(breach, name, getattr(body, name))
        breach.phase += 1
        session.add(
            BreachPhase(
                breach_id=breach.id,
                phase=breach.phase,
                fields=changed,
                note=body.note,
                added_by=principal.user_id,
                added_at=now,
            )
        )
        tell_controllers(
            session,
            outbox,
            principal.actor,
            notices,
            type=BREACH_NOTICE_UPDATED,
            payload=lambda notice: BreachUpdated(
                agreement_id=notice.agreement_id,
                breach_id=breach.id,
                notice_id=notice.id,
                phase=breach.phase,
                fields=changed,
            ),
        )
        await session.flush()
        phases = await records.phases(session=session, breach_id=breach.id)
        return reads.view(breach, phases, notices, now)


async def record_authority_notification(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    notice_id: uuid.UUID,
    body: AuthorityNotification,
) -> BreachNoticePublic:
    """The controller records whether and when it told its supervisory authority (art. 33(1))."""
    now = datetime.now(UTC)
    async with session.begin():
        notice = await records.controller_notice(
            session=session, controller_id=uuid.UUID(principal.organisation_id), notice_id=notice_id
        )
        if notice is None:
            raise domain.NotFound("Breach notice")
        if notice.authority_status != "pending":
            raise domain.StateConflict("the authority decision is already recorded")
        breach = await session.get(Breach, notice.breach_id)
        assert breach is not None
        late = clocks.check_authority_notification(
            notified_authority=body.notified_authority,
            notified_at=body.notified_at,
            reason=body.reason,
            deadline=notice.authority_deadline,
            aware_at=breach.aware_at,
            now=now,
        )
        notice.authority_status = "notified" if body.notified_authority else "not_notified"
        notice.authority_notified_at = body.notified_at
        notice.authority_reason = body.reason
        notice.authority_late = late
        notice.recorded_by = principal.user_id
        notice.recorded_at = now
        outbox.add(
            session,
            type=AUTHORITY_NOTIFICATION_REPORTED,
            tenant=principal.organisation_id,
            actor=principal.actor,
            subject=str(notice.agreement_id),
            data=AuthorityNotificationRecorded(
                agreement_id=notice.agreement_id,
                breach_id=notice.breach_id,
                notice_id=notice.id,
                notified_authority=body.notified_authority,
                notified_at=body.notified_at,
                late=late,
            ),
        )
        return reads.notice_view(notice, now)
