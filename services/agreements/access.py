"""What every part of the agreements service checks before it touches an agreement's records.

Finding an agreement the caller's organisation is a party to (another organisation's is the same
404 as a missing one, ASVS 8.4.1), which party the caller is and whether that party may take a
step, under which tenant an agreement's events are filed (its controller, the owner of the data),
recording a read (TOM-T3a: which records, never their values), recording a refused request for
another organisation's agreement in that organisation's log (TOM-T3c), telling each controller a
processor's act touches (USE-3), and the route dependencies that admit readers and admins.
"""

import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Annotated, Literal, Protocol, TypeVar

from fastapi import Depends
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.agreements import domain
from services.agreements.domain import Party
from services.agreements.lifecycle import store
from services.agreements.lifecycle.store import Agreement
from shared.access_attempts import file_once
from shared.auth import Principal, Role, require_roles
from shared.event_types.agreements import RECORD_LISTED
from shared.events import Actor
from shared.events.contracts.agreements import ACCESS_REFUSED, AgreementAccessRefused, RecordsRead
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
    """No such agreement for the caller: the answer is a generic 404. It carries who asked for
    which agreement, so that the answer can record a refused access when the agreement exists
    and belongs to another organisation (:func:`record_refused`); the caller cannot tell."""

    def __init__(
        self, agreement_id: uuid.UUID | None = None, principal: Principal | None = None
    ) -> None:
        super().__init__("Agreement")
        self.agreement_id = agreement_id
        self.principal = principal


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
        raise AgreementNotFound(agreement_id, principal)
    return agreement


async def record_refused(
    sessions: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    refused: AgreementNotFound,
    *,
    method: str,
    status: Literal[403, 404] = 404,
) -> bool:
    """After a request was refused as not found (its own transaction rolled back): when the
    agreement exists and the caller's organisation is not a party to it, file an access attempt
    in the log of its owner (TOM-T3c). The one read of an agreement across organisations, in a
    transaction of its own; the caller's answer is the same either way. True when recorded."""
    principal, agreement_id = refused.principal, refused.agreement_id
    if principal is None or agreement_id is None:
        return False
    async with sessions() as session, session.begin():
        agreement = await store.owner_view(session=session, agreement_id=agreement_id)
        if agreement is None or _involves(agreement, principal.organisation_id):
            return False
        attempt = "view" if method in {"GET", "HEAD"} else "change"
        return await file_once(
            session,
            outbox,
            event_type=ACCESS_REFUSED[attempt],
            tenant=tenant_of(agreement),
            actor=principal.actor,
            record=agreement.id,
            data=AgreementAccessRefused(
                agreement_id=agreement.id,
                method=method if method in _METHODS else "POST",
                status=status,
            ),
            moment=datetime.now(UTC),
        )


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"})


def _involves(agreement: Agreement, organisation_id: str) -> bool:
    """The organisation drafted the agreement or is a party to it (its own request is no
    stranger's, whatever it was refused for)."""
    return organisation_id in {
        str(party)
        for party in (
            agreement.organisation_id,
            agreement.counterparty_id,
            agreement.controller_id,
            agreement.processor_id,
        )
        if party is not None
    }


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
        type=RECORD_LISTED,
        tenant=tenant or tenant_of(agreement),
        actor=principal.actor,
        subject=str(agreement.id),
        data=RecordsRead(agreement_id=agreement.id, record=record, record_ids=record_ids),
    )
