"""The processor's privacy notice (art. 10 of the contract, art. 13 GDPR; DPA-10).

Where the processor collects personal data directly from the data subjects, it informs them, and
submits the content and the way of that notice to the controller beforehand. The controller
approves it or comments on it; after a comment the processor submits a new version (nothing is
overwritten). Processing does not start, the agreement is not activated, before the controller
approved the newest version (``domain.check_privacy_notice_approved``, held in
``service.change_status``).
"""

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.agreements import domain
from services.agreements.access import find, record_read, require, tenant_of
from services.agreements.domain import Party, PrivacyNoticeReview
from services.agreements.lifecycle import store
from services.agreements.lifecycle.schemas import (
    PrivacyNoticeAnswer,
    PrivacyNoticeCreate,
    PrivacyNoticeList,
    PrivacyNoticePublic,
)
from services.agreements.lifecycle.store import Agreement, PrivacyNotice
from shared import pagination
from shared.auth import Principal
from shared.event_types.agreements import PRIVACY_NOTICE_PROPOSED
from shared.events.contracts.agreements import PrivacyNoticeReviewed, PrivacyNoticeSubmitted
from shared.outbox import Outbox


def _review(row: PrivacyNotice | None) -> PrivacyNoticeReview | None:
    return PrivacyNoticeReview(row.review) if row is not None and row.review else None


async def check_approved(session: AsyncSession, agreement: Agreement) -> None:
    """Refuse to start processing while a submitted notice awaits approval (DPA-10)."""
    newest = await store.newest_privacy_notice(session=session, agreement_id=agreement.id)
    domain.check_privacy_notice_approved(submitted=newest is not None, newest=_review(newest))


async def submit(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    body: PrivacyNoticeCreate,
) -> PrivacyNoticePublic:
    """As processor: submit the (next version of the) privacy notice to the controller."""
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        require(agreement, principal, Party.processor)
        newest = await store.newest_privacy_notice(session=session, agreement_id=agreement.id)
        domain.check_can_submit_privacy_notice(
            status=agreement.status,
            both_parties_known=agreement.controller_id is not None
            and agreement.processor_id is not None,
            awaiting_answer=newest is not None and newest.review is None,
        )
        assert agreement.controller_id is not None
        assert agreement.processor_id is not None
        notice = PrivacyNotice(
            agreement_id=agreement.id,
            version=(newest.version if newest else 0) + 1,
            text=body.text,
            manner=body.manner,
            submitted_by=principal.user_id,
            submitted_at=datetime.now(UTC),
        )
        session.add(notice)
        await session.flush()
        outbox.add(
            session,
            type=PRIVACY_NOTICE_PROPOSED,
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=PrivacyNoticeSubmitted(
                agreement_id=agreement.id,
                notice_id=notice.id,
                version=notice.version,
                controller_id=agreement.controller_id,
                processor_id=agreement.processor_id,
            ),
        )
        return PrivacyNoticePublic.model_validate(notice)


async def answer(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    notice_id: uuid.UUID,
    body: PrivacyNoticeAnswer,
) -> PrivacyNoticePublic:
    """As controller: approve the newest version, or comment on it."""
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        require(agreement, principal, Party.controller)
        notice = await store.privacy_notice(
            session=session, agreement_id=agreement.id, notice_id=notice_id
        )
        if notice is None:
            raise domain.NotFound("Privacy notice")
        newest = await store.newest_privacy_notice(session=session, agreement_id=agreement.id)
        domain.check_can_review_privacy_notice(
            status=agreement.status,
            newest=newest is not None and newest.id == notice.id,
            earlier=_review(notice),
            review=body.review,
            comment=body.comment,
        )
        assert agreement.controller_id is not None
        assert agreement.processor_id is not None
        notice.review = body.review
        notice.comment = body.comment or None
        notice.reviewed_by = principal.user_id
        notice.reviewed_at = datetime.now(UTC)
        outbox.add(
            session,
            type=f"dpa.agreements.privacy_notice.{body.review}.v1",
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=PrivacyNoticeReviewed(
                agreement_id=agreement.id,
                notice_id=notice.id,
                version=notice.version,
                review="approved" if body.review is PrivacyNoticeReview.approved else "commented",
                controller_id=agreement.controller_id,
                processor_id=agreement.processor_id,
            ),
        )
        return PrivacyNoticePublic.model_validate(notice)


async def history(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    limit: int,
    cursor: str | None = None,
) -> PrivacyNoticeList:
    """Every version, newest first; the read is recorded (TOM-T3a)."""
    before = pagination.number_of(cursor)
    async with session.begin():
        agreement = await find(session, principal, agreement_id)
        found = await store.privacy_notices(
            session=session, agreement_id=agreement.id, limit=limit + 1, before=before
        )
        rows, last = pagination.split(found, limit)
        record_read(
            session,
            outbox,
            principal,
            agreement,
            record="privacy_notice",
            record_ids=[row.id for row in rows],
        )
        return PrivacyNoticeList(
            items=[PrivacyNoticePublic.model_validate(row) for row in rows],
            next_cursor=pagination.after_position(last.version) if last else None,
        )
