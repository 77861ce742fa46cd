"""Use cases: each one commits the agreement's state and its event in one transaction.

A read commits its access event (TOM-T3a) before the data is returned; if that commit fails, the
read fails, so there is no unaudited access.
"""

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.agreements import domain, store
from services.agreements.schemas import AgreementCreate, AgreementPublic
from services.agreements.store import Agreement
from shared.auth import Principal
from shared.events.contracts.agreements import AgreementCreated, AgreementsListed, AgreementViewed
from shared.outbox import Outbox

VIEWED_FIELDS = sorted(AgreementPublic.model_fields)


class AgreementNotFound(LookupError):
    pass


async def create_agreement(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, draft: AgreementCreate
) -> Agreement:
    organisation_id = uuid.UUID(principal.organisation_id)
    counterparty = str(draft.counterparty_id) if draft.counterparty_id else None
    domain.check_counterparty(own_organisation=principal.organisation_id, counterparty=counterparty)
    agreement = Agreement(
        organisation_id=organisation_id,
        counterparty_id=draft.counterparty_id,
        title=domain.normalise_title(draft.title),
        created_by=principal.user_id,
        created_at=datetime.now(UTC),
    )
    async with session.begin():
        session.add(agreement)
        outbox.add(
            session,
            type="dpa.agreements.agreement.created.v1",
            tenant=principal.organisation_id,
            actor=principal.actor,
            subject=str(agreement.id),
            data=AgreementCreated(agreement_id=agreement.id, counterparty_id=draft.counterparty_id),
        )
    return agreement


async def read_agreement(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, agreement_id: uuid.UUID
) -> Agreement:
    async with session.begin():
        agreement = await store.get_agreement(
            session=session,
            organisation_id=uuid.UUID(principal.organisation_id),
            agreement_id=agreement_id,
        )
        if agreement is None:
            raise AgreementNotFound(agreement_id)
        outbox.add(
            session,
            type="dpa.agreements.agreement.viewed.v1",
            tenant=principal.organisation_id,
            actor=principal.actor,
            subject=str(agreement.id),
            data=AgreementViewed(agreement_id=agreement.id, fields=VIEWED_FIELDS),
        )
    return agreement


async def list_agreements(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, limit: int
) -> list[Agreement]:
    async with session.begin():
        agreements = await store.list_agreements(
            session=session, organisation_id=uuid.UUID(principal.organisation_id), limit=limit
        )
        outbox.add(
            session,
            type="dpa.agreements.agreement.listed.v1",
            tenant=principal.organisation_id,
            actor=principal.actor,
            data=AgreementsListed(agreement_ids=[agreement.id for agreement in agreements]),
        )
    return agreements
