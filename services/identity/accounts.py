"""A user's own credentials: accept an invitation, change or reset the password (TOM-T2c/d).

Users choose their own passwords; no API sets another user's password. A reset never bypasses
the second factor (the next login still asks for it, ASVS 6.4.3) and ends every session.
"""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.identity import links, store
from services.identity.authority import Authority
from services.identity.caller import recent_account
from services.identity.domain import PasswordRefused, UserStatus, check_password
from services.identity.login import lock_if_due
from services.identity.sessions import end_sessions
from services.identity.store import Organisation, PasswordHistory, UserAccount
from services.identity.views import actor_of
from shared.auth import Principal
from shared.event_types.identity import (
    ACCOUNT_UNLOCKED,
    INVITATION_ACCEPTED,
    PASSWORD_RESET,
    PASSWORD_RESET_REQUESTED,
    PASSWORD_UPDATED,
)
from shared.events import Actor, Outcome
from shared.events.contracts.identity import (
    AccountUnlocked,
    InvitationAccepted,
    PasswordChanged,
    PasswordReset,
    PasswordResetRequested,
)
from shared.events.subjects import PLATFORM_TENANT


class LinkRefused(Exception):
    """Unknown, used or expired link: the same answer for each."""


class CurrentPasswordWrong(Exception):
    pass


class AddressHoldsAccount(Exception):
    """The invited address already has an account elsewhere: told only to whoever holds the
    invitation's secret (so its mailbox), never to the organisation that invited it."""


def _now() -> datetime:
    return datetime.now(UTC)


async def _new_hash(
    session: AsyncSession, authority: Authority, user: UserAccount, password: str
) -> str:
    """Check ``password`` against the organisation's policy and history; return its hash."""
    organisation = await session.get(Organisation, user.organisation_id)
    assert organisation is not None
    policy = store.password_policy(organisation)
    local = user.email.split("@", 1)[0]
    check_password(policy, password, common=authority.common, personal=[local, user.display_name])
    history = await store.password_history(
        session=session, user_id=user.id, limit=max(policy.history, 1)
    )
    previous = [user.password_hash] if user.password_hash else []
    for old in ([*previous, *history])[: policy.history] if policy.history else []:
        if await asyncio.to_thread(authority.passwords.verify, old, password):
            raise PasswordRefused(
                f"choose a password you have not used in your last {policy.history}"
            )
    return await asyncio.to_thread(authority.passwords.hash, password)


async def _store_password(
    session: AsyncSession, user: UserAccount, password_hash: str, **extra: object
) -> None:
    if user.password_hash:
        session.add(
            PasswordHistory(user_id=user.id, password_hash=user.password_hash, created_at=_now())
        )
    await session.execute(
        update(UserAccount)
        .where(col(UserAccount.id) == user.id)
        .values(password_hash=password_hash, password_changed_at=_now(), **extra)
    )


async def accept_invitation(
    *, sessions: async_sessionmaker[AsyncSession], authority: Authority, secret: str, password: str
) -> None:
    """Activate the invited account. An address holds one account: if it already has one in
    another organisation, :class:`AddressHoldsAccount` (two invitations accepted at once: the
    partial unique index refuses the second, the same answer)."""
    try:
        await _accept(sessions=sessions, authority=authority, secret=secret, password=password)
    except IntegrityError:
        raise AddressHoldsAccount from None


async def _accept(
    *, sessions: async_sessionmaker[AsyncSession], authority: Authority, secret: str, password: str
) -> None:
    async with sessions() as session, session.begin():
        redeemed = await links.redeem(session=session, secret=secret, purpose="invitation")
        if redeemed is None or redeemed[1].status is not UserStatus.invited:
            raise LinkRefused
        _, user = redeemed
        if await store.address_holds_account(session=session, email=user.email, other_than=user.id):
            raise AddressHoldsAccount  # the link stays unused: the transaction rolls back
        password_hash = await _new_hash(session, authority, user, password)
        await _store_password(session, user, password_hash, status=UserStatus.active)
        authority.outbox.add(
            session,
            type=INVITATION_ACCEPTED,
            tenant=str(user.organisation_id),
            actor=actor_of(user),
            subject=str(user.id),
            data=InvitationAccepted(user_id=user.id),
        )


async def change_password(
    *,
    sessions: async_sessionmaker[AsyncSession],
    authority: Authority,
    principal: Principal,
    current: str,
    new: str,
    end_other_sessions: bool,
) -> int:
    """Change one's own password in a recently authenticated session, proving the current one
    (counted like a login attempt)."""
    async with sessions() as session:
        user = await recent_account(session, principal)
        organisation = await session.get(Organisation, user.organisation_id)
    assert organisation is not None
    threshold = store.lockout_policy(organisation).threshold
    async with sessions() as session, session.begin():
        attempt = await store.reserve_attempt(
            session=session, user_id=user.id, threshold=threshold, now=_now()
        )
    stored = user.password_hash if attempt is not None else None
    if not await asyncio.to_thread(authority.passwords.verify, stored, current):
        if attempt is not None:
            async with sessions() as session, session.begin():
                await lock_if_due(
                    session=session,
                    authority=authority,
                    user=user,
                    organisation=organisation,
                    attempt=attempt,
                )
        raise CurrentPasswordWrong
    async with sessions() as session, session.begin():
        await store.release_attempt(session=session, user_id=user.id)
        password_hash = await _new_hash(session, authority, user, new)
        await _store_password(session, user, password_hash)
        ended = []
        if end_other_sessions:
            ended = await end_sessions(
                session=session,
                authority=authority,
                user=user,
                reason="password_changed",
                actor=actor_of(user),
                except_session=store_uuid(principal.session_id),
            )
        authority.outbox.add(
            session,
            type=PASSWORD_UPDATED,
            tenant=str(user.organisation_id),
            actor=actor_of(user),
            subject=str(user.id),
            data=PasswordChanged(user_id=user.id, other_sessions_revoked=len(ended)),
        )
    return len(ended)


def store_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def request_reset(
    *,
    session: AsyncSession,
    authority: Authority,
    email: str,
    by: Actor | None = None,
    address: str | None = None,
) -> None:
    """Self-service (``by`` None, from client ``address``) or by an admin; the caller's answer
    never depends on it.

    Self-service requests are throttled (ASVS 6.3.1, TOM-T5): per client address (its /64 for
    IPv6), counted before the account is looked up, and per account, counting the links it was
    given in the window. A throttled request gives no link and leaves the pending ones working.
    """
    settings = authority.settings
    now = _now()
    if by is None and address is not None:
        asked = await store.count_reset_request(
            session=session,
            client=authority.client_key(address),
            window=int(now.timestamp() // (settings.reset_window_minutes * 60)),
            dialect=session.get_bind().dialect.name,
        )
        if asked > settings.reset_address_limit:
            _reset_refused(session, authority, throttled="address")
            return
    user = await store.user_by_email(session=session, email=email)
    if user is None or user.status is not UserStatus.active:
        _reset_refused(session, authority)
        return
    if by is None:
        given = await store.links_since(
            session=session,
            user_id=user.id,
            purpose="password_reset",
            since=now - timedelta(minutes=settings.reset_window_minutes),
        )
        if given >= settings.reset_account_limit:
            _reset_refused(session, authority, user=user, throttled="account")
            return
    link = await links.create_link(
        session=session,
        user=user,
        purpose="password_reset",
        valid_for=timedelta(minutes=settings.reset_minutes),
        replace=False,
    )
    authority.outbox.add(
        session,
        type=PASSWORD_RESET_REQUESTED,
        tenant=str(user.organisation_id),
        actor=by or actor_of(user),
        subject=str(user.id),
        data=PasswordResetRequested(
            user_id=user.id, link_id=link.id, by="self" if by is None else "admin"
        ),
    )


def _reset_refused(
    session: AsyncSession,
    authority: Authority,
    *,
    user: UserAccount | None = None,
    throttled: Literal["account", "address"] | None = None,
) -> None:
    """A self-service request that gives no link: unknown or inactive account, or throttled."""
    authority.outbox.add(
        session,
        type=PASSWORD_RESET_REQUESTED,
        tenant=PLATFORM_TENANT if user is None else str(user.organisation_id),
        actor=Actor(id="anonymous"),
        subject=None if user is None else str(user.id),
        data=PasswordResetRequested(
            user_id=None if user is None else user.id, by="self", throttled=throttled
        ),
        outcome=Outcome.failed,
    )


async def complete_reset(
    *, sessions: async_sessionmaker[AsyncSession], authority: Authority, secret: str, password: str
) -> None:
    async with sessions() as session, session.begin():
        redeemed = await links.redeem(session=session, secret=secret, purpose="password_reset")
        if redeemed is None or redeemed[1].status is not UserStatus.active:
            raise LinkRefused
        _, user = redeemed
        password_hash = await _new_hash(session, authority, user, password)
        # Any other reset link the person asked for dies with the one used.
        await links.void_links(session=session, user_id=user.id, purpose="password_reset")
        temporarily_locked = user.locked_until is not None and not user.locked_permanently
        # Proof of the mailbox releases a temporary lock; a permanent one stays for an admin.
        release = {"failures": 0, "locked_until": None} if not user.locked_permanently else {}
        await _store_password(session, user, password_hash, **release)
        ended = await end_sessions(
            session=session,
            authority=authority,
            user=user,
            reason="password_reset",
            actor=actor_of(user),
        )
        authority.outbox.add(
            session,
            type=PASSWORD_RESET,
            tenant=str(user.organisation_id),
            actor=actor_of(user),
            subject=str(user.id),
            data=PasswordReset(user_id=user.id, sessions_revoked=len(ended)),
        )
        if temporarily_locked:
            authority.outbox.add(
                session,
                type=ACCOUNT_UNLOCKED,
                tenant=str(user.organisation_id),
                actor=actor_of(user),
                subject=str(user.id),
                data=AccountUnlocked(user_id=user.id, by="password_reset"),
            )
