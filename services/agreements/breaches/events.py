"""The events a breach report emits: rows mapped to their catalogued payloads.

The report itself goes to the processor's log; each notice goes to its controller's log, under
the agreement it was issued for. Payloads carry categories, numbers and deadlines, never the free
text or the contact point.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from services.agreements.access import tell_controllers
from services.agreements.breaches.store import Breach, BreachNotice
from shared.auth import Principal
from shared.event_types.agreements import BREACH_NOTICE_ISSUED, BREACH_REPORTED
from shared.events.contracts.agreements import BreachNoticeIssued, BreachReported
from shared.outbox import Outbox


def record_report(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    breach: Breach,
    notices: list[BreachNotice],
) -> None:
    """``breach.reported`` for the processor and ``breach_notice.issued`` for each controller."""
    outbox.add(
        session,
        type=BREACH_REPORTED,
        tenant=principal.organisation_id,
        actor=principal.actor,
        subject=str(breach.id),
        data=BreachReported(
            breach_id=breach.id,
            processor_id=breach.processor_id,
            aware_at=breach.aware_at,
            data_categories=breach.data_categories,
            data_subject_categories=breach.data_subject_categories,
            approx_data_subjects=breach.approx_data_subjects,
            approx_records=breach.approx_records,
            agreement_ids=[notice.agreement_id for notice in notices],
        ),
    )
    tell_controllers(
        session,
        outbox,
        principal.actor,
        notices,
        type=BREACH_NOTICE_ISSUED,
        payload=lambda notice: notice_issued(breach, notice),
    )


def notice_issued(breach: Breach, notice: BreachNotice) -> BreachNoticeIssued:
    """What the controller's log and the notifier learn of one notice."""
    return BreachNoticeIssued(
        agreement_id=notice.agreement_id,
        breach_id=breach.id,
        notice_id=notice.id,
        processor_id=breach.processor_id,
        controller_id=notice.controller_id,
        aware_at=breach.aware_at,
        notified_at=notice.notified_at,
        processor_deadline=notice.processor_deadline,
        processor_late=notice.processor_late,
        authority_deadline=notice.authority_deadline,
        data_categories=breach.data_categories,
        data_subject_categories=breach.data_subject_categories,
        approx_data_subjects=breach.approx_data_subjects,
        approx_records=breach.approx_records,
    )
