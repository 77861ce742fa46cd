"""``pactum list`` and ``pactum show``: what the platform holds, for the operator who runs it.

**Where it reads.** Straight from the services' databases, with the services' environment, as
every other command of ``pactum`` works (backup, restore, migrate, create-organisation): the
operator's command line runs where the databases are, holds no user account and no token, and
does not depend on the services being up (a platform that is down is when it is needed most).
The HTTP APIs would not do: an operator's token sees a customer's users and agreements only under
a grant the customer approved (TOM-O3), which is right for the console and wrong for the platform
operator's inventory.

**What it shows: metadata, never personal data.** Organisations (name, kind, status, policy);
users by id, role, status, second factor and lock, never their e-mail address or name; agreements
by title, status, version and parties, never their text; grants by who, what access, when, never
the reason typed in; deliveries by notice, channel, recipient reference and status, never the
message. One organisation at a time: every list but the organisations' takes ``--organisation``.

**Audited as the API would be (TOM-T3a, TOM-T3c).** Every read writes, in the same transaction
in the owning service's database, the access event the API writes for the same read
(``organisation.listed``/``viewed``, ``user.listed``/``viewed``, ``agreement.listed``/``viewed``,
``grant.listed``, ``recipient.listed``), filed under the customer's organisation, with the actor
``operator-cli:<name>`` of type ``operator`` (the ``--operator`` name, else the login
account): the customer's audit log shows it as a supplier
intervention. The running service's relay publishes it; if the event cannot be committed,
nothing is shown.
"""

import getpass
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from services.agreements.lifecycle.store import Agreement
from services.identity.store import Grant, Organisation, UserAccount
from services.notifier.ledger import Delivery
from shared import pagination
from shared.events import Actor, ActorType
from shared.events.contracts.agreements import AgreementsListed, AgreementViewed
from shared.events.contracts.identity import (
    GrantsListed,
    OrganisationsListed,
    OrganisationViewed,
    UsersListed,
    UserViewed,
)
from shared.events.contracts.notifier import RecipientsListed
from shared.events.subjects import PLATFORM_TENANT
from shared.outbox import Outbox

Row = dict[str, Any]


class NotFound(LookupError):
    """No record of this kind with this id: exit 3."""


@dataclass(frozen=True)
class Access:
    """One access event to record: its type, the tenant it is filed under, its payload."""

    type: str
    tenant: str
    data: BaseModel
    subject: str | None = None


@dataclass(frozen=True)
class Kind:
    """A kind of record the operator can list and show."""

    name: str  # plural, as typed: pactum list users
    one: str  # singular: pactum show user <id>
    service: str  # whose database holds it
    model: type[SQLModel]
    moment: str  # the column lists are sorted by (then the id)
    columns: tuple[str, ...]  # the table's columns, in order; JSON has every key of ``row``
    row: Callable[[Any], Row]
    of_organisation: Callable[[uuid.UUID], ColumnElement[bool]] | None
    listed: Callable[[str, list[Any]], Access]
    viewed: Callable[[Any, list[str]], list[Access]]


def _organisation(record: Organisation) -> Row:
    return {
        "id": record.id,
        "name": record.name,
        "kind": record.kind,
        "status": record.status,
        "mfa": record.mfa,
        "created_at": record.created_at,
    }


def _user(record: UserAccount) -> Row:
    now = datetime.now(UTC)
    locked_until = record.locked_until
    if locked_until is not None and locked_until.tzinfo is None:
        locked_until = locked_until.replace(tzinfo=UTC)
    return {
        "id": record.id,
        "organisation_id": record.organisation_id,
        "role": record.role,
        "status": record.status,
        "second_factor": record.mfa_enrolled_at is not None or record.totp_sealed is not None,
        "locked": record.locked_permanently or (locked_until is not None and locked_until > now),
        "created_at": record.created_at,
    }


def _agreement(record: Agreement) -> Row:
    return {
        "id": record.id,
        "title": record.title,
        "status": record.status,
        "version": record.version,
        "controller_id": record.controller_id,
        "processor_id": record.processor_id,
        "created_at": record.created_at,
        "activated_at": record.activated_at,
        "terminated_at": record.terminated_at,
    }


def _grant(record: Grant) -> Row:
    return {
        "id": record.id,
        "organisation_id": record.organisation_id,
        "operator_organisation_id": record.operator_organisation_id,
        "operator_id": record.operator_id,
        "access": record.access,
        "status": record.status,
        "minutes": record.minutes,
        "requested_at": record.requested_at,
        "expires_at": record.expires_at,
    }


def _delivery(record: Delivery) -> Row:
    return {
        "id": record.id,
        "organisation_id": record.organisation_id,
        "notice": record.notice,
        "topic": record.topic,
        "channel": record.channel,
        "recipient": record.recipient,  # a reference (contact:<id>, user:<id>), not an address
        "status": record.status,
        "attempts": record.attempts,
        "created_at": record.created_at,
        "delivered_at": record.delivered_at,
    }


def _parties(agreement: Agreement) -> list[str]:
    ids = {agreement.organisation_id, agreement.controller_id, agreement.processor_id}
    return sorted(str(party) for party in ids if party is not None)


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            name="organisations",
            one="organisation",
            service="identity",
            model=Organisation,
            moment="created_at",
            columns=("id", "name", "kind", "status", "mfa", "created_at"),
            row=_organisation,
            of_organisation=None,
            listed=lambda _tenant, items: Access(
                "dpa.identity.organisation.listed.v1",
                PLATFORM_TENANT,
                OrganisationsListed(organisation_ids=[item.id for item in items]),
            ),
            viewed=lambda item, _fields: [
                Access(
                    "dpa.identity.organisation.viewed.v1",
                    str(item.id),
                    OrganisationViewed(organisation_id=item.id),
                    str(item.id),
                )
            ],
        ),
        Kind(
            name="users",
            one="user",
            service="identity",
            model=UserAccount,
            moment="created_at",
            columns=("id", "role", "status", "second_factor", "locked", "created_at"),
            row=_user,
            of_organisation=lambda organisation: col(UserAccount.organisation_id) == organisation,
            listed=lambda tenant, items: Access(
                "dpa.identity.user.listed.v1",
                tenant,
                UsersListed(user_ids=[item.id for item in items]),
            ),
            viewed=lambda item, fields: [
                Access(
                    "dpa.identity.user.viewed.v1",
                    str(item.organisation_id),
                    UserViewed(user_id=item.id, fields=fields),
                    str(item.id),
                )
            ],
        ),
        Kind(
            name="agreements",
            one="agreement",
            service="agreements",
            model=Agreement,
            moment="created_at",
            columns=("id", "title", "status", "version", "controller_id", "processor_id"),
            row=_agreement,
            of_organisation=lambda organisation: or_(
                col(Agreement.organisation_id) == organisation,
                col(Agreement.controller_id) == organisation,
                col(Agreement.processor_id) == organisation,
            ),
            listed=lambda tenant, items: Access(
                "dpa.agreements.agreement.listed.v1",
                tenant,
                AgreementsListed(agreement_ids=[item.id for item in items]),
            ),
            # Filed under each party: both see that the supplier read it.
            viewed=lambda item, fields: [
                Access(
                    "dpa.agreements.agreement.viewed.v1",
                    party,
                    AgreementViewed(agreement_id=item.id, fields=fields),
                    str(item.id),
                )
                for party in _parties(item)
            ],
        ),
        Kind(
            name="grants",
            one="grant",
            service="identity",
            model=Grant,
            moment="requested_at",
            columns=("id", "organisation_id", "operator_id", "access", "status", "expires_at"),
            row=_grant,
            of_organisation=lambda organisation: or_(
                col(Grant.organisation_id) == organisation,
                col(Grant.operator_organisation_id) == organisation,
            ),
            listed=lambda tenant, items: Access(
                "dpa.identity.grant.listed.v1",
                tenant,
                GrantsListed(grant_ids=[item.id for item in items]),
            ),
            viewed=lambda item, _fields: [
                Access(
                    "dpa.identity.grant.listed.v1",
                    str(item.organisation_id),
                    GrantsListed(grant_ids=[item.id]),
                )
            ],
        ),
        Kind(
            name="deliveries",
            one="delivery",
            service="notifier",
            model=Delivery,
            moment="created_at",
            columns=("id", "notice", "channel", "recipient", "status", "attempts", "created_at"),
            row=_delivery,
            of_organisation=lambda organisation: col(Delivery.organisation_id) == str(organisation),
            listed=lambda tenant, items: Access(
                "dpa.notifier.recipient.listed.v1",
                tenant,
                RecipientsListed(record="delivery", count=len(items)),
            ),
            viewed=lambda item, _fields: [
                Access(
                    "dpa.notifier.recipient.listed.v1",
                    str(item.organisation_id),
                    RecipientsListed(record="delivery", count=1),
                )
            ],
        ),
    )
}


def operator() -> Actor:
    """Who reads when ``--operator`` does not say: the account that runs the command, as an
    operator (a supplier intervention)."""
    return Actor(id=f"operator-cli:{getpass.getuser()}"[:200], type=ActorType.operator)


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    next_cursor: str | None


def _record(
    session: AsyncSession, outbox: Outbox, accesses: Sequence[Access], actor: Actor | None
) -> None:
    for access in accesses:
        outbox.add(
            session,
            type=access.type,
            tenant=access.tenant,
            actor=actor or operator(),
            data=access.data,
            subject=access.subject,
        )


async def list_page(
    session: AsyncSession,
    *,
    kind: Kind,
    outbox: Outbox,
    organisation: uuid.UUID | None,
    limit: int,
    cursor: str | None,
    actor: Actor | None = None,
) -> Page:
    """One page of ``kind``, oldest first, with its access event committed before it is shown;
    raises ``pagination.CursorRefused`` for a cursor this list did not give."""
    moment = getattr(kind.model, kind.moment)
    identifier = kind.model.id  # type: ignore[attr-defined]
    query = select(kind.model).order_by(moment, identifier)
    if kind.of_organisation is not None and organisation is not None:
        query = query.where(kind.of_organisation(organisation))
    if cursor is not None:
        at, last = pagination.moment_and_uuid(cursor)
        query = query.where(or_(moment > at, and_(moment == at, identifier > last)))
    async with session.begin():
        found = list((await session.scalars(query.limit(limit + 1))).all())
        items = found[:limit]
        tenant = str(organisation) if organisation is not None else PLATFORM_TENANT
        _record(session, outbox, [kind.listed(tenant, items)], actor)
    rows = [kind.row(item) for item in items]
    next_cursor = None
    if len(found) > limit:  # every row holds the moment it is sorted by, and its id
        next_cursor = pagination.after_moment(rows[-1][kind.moment], rows[-1]["id"])
    return Page(rows=rows, next_cursor=next_cursor)


async def show(
    session: AsyncSession,
    *,
    kind: Kind,
    outbox: Outbox,
    record_id: uuid.UUID,
    actor: Actor | None = None,
) -> Row:
    """One record of ``kind`` by id, its read recorded first; ``NotFound`` if there is none."""
    async with session.begin():
        item = await session.get(kind.model, record_id)
        if item is None:
            raise NotFound(f"no {kind.one} {record_id}")
        row = kind.row(item)
        _record(session, outbox, kind.viewed(item, sorted(row)), actor)
    return row
