"""What every part of the agreements service checks before it touches an agreement's records.

Finding an agreement the caller's organisation is a party to (another organisation's is the same
404 as a missing one, ASVS 8.4.1), which party the caller is and whether that party may take a
step, under which tenant an agreement's events are filed (its controller, the owner of the data),
recording a read (TOM-T3a: which records, never their values), telling each controller a
processor's act touches (USE-3), and the route dependencies that admit readers and admins.
"""

import uuid
from collections.abc import Callable, Iterable
from typing import Annotated, Protocol, TypeVar

from fastapi import Depends
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.agreements import domain
from services.agreements.domain import Party
from services.agreements.lifecycle import store
from services.agreements.lifecycle.store import Agreement
from shared.auth import Principal, Role, require_roles
from shared.events import Actor
from shared.events.contracts.agreements import RecordsRead
from shared.outbox import Outbox

Reader = Annotated[Principal, Depends(require_roles(Role.admin, Role.member, Role.auditor))]
Admin = Annotated[Principal, Depends(require_roles(Role.admin))]


class ControllerNotice(Protocol):
    """What a processor's act leaves for one controller under one agreement (a breach notice, a
    subprocessor notice)."""

    @property
    def agreement_id(self) -> uuid.UUID: ...

    @property
    def controller_id(self) -> uuid.UUID: ...


Notice = TypeVar("Notice", bound=ControllerNotice)


def tell_controllers(
    session: AsyncSession,
    outbox: Outbox,
    actor: Actor,
    notices: Iterable[Notice],
    *,
    type: str,
    payload: Callable[[Notice], BaseModel],
) -> None:
    """One event per notice, filed in its controller's log under its agreement: how one act of
    the processor reaches every controller it touches, and that controller's notifier."""
    for notice in notices:
        outbox.add(
            session,
            type=type,
            tenant=str(notice.controller_id),
            actor=actor,
            subject=str(notice.agreement_id),
            data=payload(notice),
        )


class AgreementNotFound(domain.NotFound):
    def __init__(self, _agreement_id: object = None) -> None:
        super().__init__("Agreement")


def tenant_of(agreement: Agreement) -> str:
    """Agreement events are filed under the controller, the owner of the data."""
    return str(agreement.controller_id or agreement.organisation_id)


def caller_party(agreement: Agreement, principal: Principal) -> Party | None:
    return domain.party_of(
        organisation=principal.organisation_id,
        controller=str(agreement.controller_id) if agreement.controller_id else None,
        processor=str(agreement.processor_id) if agreement.processor_id else None,
    )


def require(agreement: Agreement, principal: Principal, party: Party) -> None:
    if caller_party(agreement, principal) is not party:
        raise domain.NotAllowed(f"only the {party} may do this")


async def find(
    session: AsyncSession, principal: Principal, agreement_id: uuid.UUID, *, lock: bool = False
) -> Agreement:
    agreement = await store.get_agreement(
        session=session,
        organisation_id=uuid.UUID(principal.organisation_id),
        agreement_id=agreement_id,
        for_update=lock,
    )
    if agreement is None:
        raise AgreementNotFound(agreement_id)
    return agreement


def record_read(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement: Agreement,
    *,
    record: str,
    record_ids: list[uuid.UUID],
    tenant: str | None = None,
) -> None:
    """Record a consultation of an agreement's records (TOM-T3a): which ones, never values."""
    outbox.add(
        session,
        type="dpa.agreements.record.listed.v1",
        tenant=tenant or tenant_of(agreement),
        actor=principal.actor,
        subject=str(agreement.id),
        data=RecordsRead(agreement_id=agreement.id, record=record, record_ids=record_ids),
    )
