"""Changing one's sign-in address (issue 13.2, TOM-T2a, TOM-T2b).

Whoever holds a session must not be able to move the account to an address of their own: the
change is asked for in a recently authenticated session (step-up, checked by the route), and it is
made only when the one-time link sent to the *new* address is used, so every address an account
signs in with, and every security notice goes to, is one its owner proved. When it is made, the
notifier tells the new address and the one it replaced (``email.updated``; a notice no preference
mutes).

The answer to a request is the same whether or not the address can be used: an address that
holds another account gets no link (the event records the refusal, the caller is not told), so a
session cannot be used to find out who has an account.
"""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.identity import links, store
from services.identity.authority import Authority
from services.identity.caller import recent_account
from services.identity.domain import EMAIL_CHANGE_MINUTES, IdentityRuleBroken, UserStatus
from services.identity.store import EmailChange, UserAccount
from services.identity.views import actor_of
from shared.auth import Principal
from shared.event_types.identity import EMAIL_CHANGE_REQUESTED, EMAIL_UPDATED
from shared.events import Outcome
from shared.events.contracts.identity import EmailChanged, EmailChangeRequested
from shared.input_rules import InputRefused, normalise_address


class ChangeRefused(Exception):
    """Unknown, used or expired link, or one for an account no longer active: one answer."""


class AddressTaken(Exception):
    """The new address came to hold another account since the change was asked for."""


class ChangeNotFound(LookupError):
    pass


def _now() -> datetime:
    return datetime.now(UTC)


def new_address(value: str, *, current: str) -> str:
    """``value`` as the account's new address (lower-cased), or :class:`IdentityRuleBroken`."""
    try:
        address = normalise_address(value).lower()
    except InputRefused as refused:
        raise IdentityRuleBroken(f"email: {refused}") from None
    if len(address) > 254:
        raise IdentityRuleBroken("email: at most 254 characters")
    if address == current:
        raise IdentityRuleBroken("email: this is the address you sign in with already")
    return address


async def request_change(
    *, session: AsyncSession, authority: Authority, user: UserAccount, email: str
) -> None:
    """In the caller's transaction: a link for the new address (an earlier pending one stops
    working) and ``email_change.requested``; no link for an address that holds an account."""
    address = new_address(email, current=user.email)
    link_id = None
    if not await store.address_holds_account(session=session, email=address, other_than=user.id):
        link = await links.create_link(
            session=session,
            user=user,
            purpose="email_change",
            valid_for=timedelta(minutes=EMAIL_CHANGE_MINUTES),
        )
        session.add(
            EmailChange(
                user_id=user.id,
                organisation_id=user.organisation_id,
                link_id=link.id,
                new_email=address,
                former_email=user.email,
                requested_at=_now(),
            )
        )
        link_id = link.id
    authority.outbox.add(
        session,
        type=EMAIL_CHANGE_REQUESTED,
        tenant=str(user.organisation_id),
        actor=actor_of(user),
        subject=str(user.id),
        data=EmailChangeRequested(user_id=user.id, link_id=link_id),
        outcome=Outcome.succeeded if link_id else Outcome.failed,
    )


async def request_own_change(
    *, session: AsyncSession, authority: Authority, principal: Principal, email: str
) -> None:
    """The caller asks to sign in with ``email``, in a recently authenticated session."""
    async with session.begin():
        user = await recent_account(session, principal)
        await request_change(session=session, authority=authority, user=user, email=email)


async def confirm_change(
    *, sessions: async_sessionmaker[AsyncSession], authority: Authority, secret: str
) -> None:
    """Use the link sent to the new address: the account signs in with it from now on, and
    ``email.updated`` tells the notifier to write to both addresses."""
    try:
        async with sessions() as session, session.begin():
            redeemed = await links.redeem(session=session, secret=secret, purpose="email_change")
            if redeemed is None:
                raise ChangeRefused
            link, user = redeemed
            change = await session.scalar(
                select(EmailChange).where(col(EmailChange.link_id) == link.id)
            )
            if change is None or user.status is not UserStatus.active:
                raise ChangeRefused
            if await store.address_holds_account(
                session=session, email=change.new_email, other_than=user.id
            ):
                raise AddressTaken
            former = user.email  # read before the update, which refreshes ``user``
            await session.execute(
                update(UserAccount)
                .where(col(UserAccount.id) == user.id)
                .values(email=change.new_email)
            )
            await session.execute(
                update(EmailChange)
                .where(col(EmailChange.id) == change.id)
                .values(former_email=former, confirmed_at=_now())
            )
            authority.outbox.add(
                session,
                type=EMAIL_UPDATED,
                tenant=str(user.organisation_id),
                actor=actor_of(user),
                subject=str(user.id),
                data=EmailChanged(user_id=user.id, change_id=change.id),
            )
    except IntegrityError:  # the address was taken in the same instant (unique indexes)
        raise AddressTaken from None


async def former_address(*, session: AsyncSession, change_id: uuid.UUID) -> EmailChange:
    """A made change, for the notice to its former address; :class:`ChangeNotFound` otherwise."""
    change = await session.get(EmailChange, change_id)
    if change is None or change.confirmed_at is None:
        raise ChangeNotFound(change_id)
    return change
