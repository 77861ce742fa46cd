"""Who the notifier reaches, and the links it delivers: one user, an organisation's admins, the
former address of a change, a one-time link's fresh secret. Each answer is audited like any read
(TOM-T3a), in the transaction that reads it."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.identity import email_changes, links, store
from services.identity.authority import Authority
from services.identity.domain import UserStatus
from services.identity.store import EmailChange, UserAccount
from shared.event_types.identity import USER_LISTED, USER_VIEWED
from shared.events import Actor
from shared.events.contracts.identity import UsersListed, UserViewed


class ContactNotFound(LookupError):
    """No such user, or one who was removed."""


async def deliver_link(
    *, session: AsyncSession, authority: Authority, link_id: uuid.UUID
) -> links.Delivery:
    """The one-time link to deliver (a fresh secret on every fetch; the earlier one stops);
    ``links.LinkUnavailable`` when there is none to deliver."""
    async with session.begin():
        return await links.fetch_for_delivery(session=session, authority=authority, link_id=link_id)


async def contact(
    *, session: AsyncSession, authority: Authority, user_id: uuid.UUID, actor: Actor
) -> UserAccount:
    """Where to reach one user (lock notices, reset confirmations)."""
    async with session.begin():
        user = await session.get(UserAccount, user_id)
        if user is None or user.status is UserStatus.removed:
            raise ContactNotFound(user_id)
        authority.outbox.add(
            session,
            type=USER_VIEWED,
            tenant=str(user.organisation_id),
            actor=actor,
            subject=str(user.id),
            data=UserViewed(user_id=user.id, fields=["display_name", "email", "role"]),
        )
    return user


async def former_address(
    *, session: AsyncSession, authority: Authority, change_id: uuid.UUID, actor: Actor
) -> EmailChange:
    """The address a user signed in with before a change they made, for the notice that tells
    it of the change; ``email_changes.ChangeNotFound`` when there is no such made change."""
    async with session.begin():
        change = await email_changes.former_address(session=session, change_id=change_id)
        authority.outbox.add(
            session,
            type=USER_VIEWED,
            tenant=str(change.organisation_id),
            actor=actor,
            subject=str(change.user_id),
            data=UserViewed(user_id=change.user_id, fields=["former_email"]),
        )
    return change


async def organisation_admins(
    *, session: AsyncSession, authority: Authority, organisation_id: uuid.UUID, actor: Actor
) -> list[UserAccount]:
    """Where to reach an organisation's active admins (grant requests, lock notices)."""
    async with session.begin():
        found = await store.admins_of(session=session, organisation_id=organisation_id)
        authority.outbox.add(
            session,
            type=USER_LISTED,
            tenant=str(organisation_id),
            actor=actor,
            data=UsersListed(user_ids=[user.id for user in found]),
        )
    return found
