"""An organisation's admins run their own user base, without the operator (TOM-T2a).

Invite, re-invite, disable, re-enable, remove, change roles, reset a user's second factor,
release a lock, send a reset link. Every change and every read is an event (TOM-T3a). An admin
never sets another user's password (TOM-T2c). Another organisation's user is not found.
"""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.identity import accounts, cursors, links, store
from services.identity.authority import Authority
from services.identity.caller import own_account
from services.identity.domain import ROLES, IdentityRuleBroken, UserStatus
from services.identity.sessions import end_sessions
from services.identity.store import (
    EmailChange,
    KnownDevice,
    OneTimeLink,
    Passkey,
    RecoveryCode,
    UserAccount,
)
from shared.auth import Principal
from shared.event_types.identity import (
    ACCOUNT_UNLOCKED,
    MFA_RESET,
    USER_INVITED,
    USER_LISTED,
    USER_ROLE_UPDATED,
    USER_VIEWED,
)
from shared.events import Actor, ActorType
from shared.events.contracts.identity import (
    AccountUnlocked,
    MfaReset,
    UserInvited,
    UserRoleUpdated,
    UsersListed,
    UserStatusChanged,
    UserViewed,
)
from shared.input_rules import InputRefused, check_line, normalise_address

VIEWED_FIELDS = sorted(
    ["id", "email", "display_name", "role", "status", "mfa_enrolled", "locked", "created_at"]
)


class UserNotFound(LookupError):
    pass


class EmailTaken(IdentityRuleBroken):
    pass


def _now() -> datetime:
    return datetime.now(UTC)


def _org(principal: Principal) -> uuid.UUID:
    return uuid.UUID(principal.organisation_id)


async def _user(session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> UserAccount:
    user = await store.user_in(session=session, organisation_id=_org(principal), user_id=user_id)
    if user is None:
        raise UserNotFound(user_id)
    return user


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise IdentityRuleBroken(f"role must be one of {', '.join(ROLES)}")


async def invite(
    *,
    sessions: async_sessionmaker[AsyncSession],
    authority: Authority,
    principal: Principal,
    email: str,
    role: str,
    display_name: str,
) -> UserAccount:
    _check_role(role)
    try:
        async with sessions() as session, session.begin():
            user, _ = await add_invited_user(
                session=session,
                authority=authority,
                organisation_id=_org(principal),
                email=email,
                role=role,
                display_name=display_name,
                actor=principal.actor,
            )
            return user
    except IntegrityError:
        # Only a user of the admin's own organisation (whom the admin can list anyway); an
        # address with an account elsewhere is invited like any other (issue 18.3).
        raise EmailTaken("a user of your organisation already has this e-mail address") from None


async def add_invited_user(
    *,
    session: AsyncSession,
    authority: Authority,
    organisation_id: uuid.UUID,
    email: str,
    role: str,
    display_name: str,
    actor: Actor,
    delivered_by: str = "mail",
) -> tuple[UserAccount, OneTimeLink]:
    try:
        address = normalise_address(email)
        name = check_line(display_name.strip())
    except InputRefused as refused:
        raise IdentityRuleBroken(str(refused)) from None
    user = UserAccount(
        organisation_id=organisation_id,
        email=address.lower(),
        display_name=name,
        role=role,
        status=UserStatus.invited,
        created_at=_now(),
        invited_by=inviter_of(actor),
    )
    session.add(user)
    await session.flush()
    return user, await _invite(
        session, authority, user, actor=actor, reissued=False, delivered_by=delivered_by
    )


def inviter_of(actor: Actor) -> uuid.UUID | None:
    """The user who invites, recorded on the invited account; None for the operator CLI and
    the system (they are no user)."""
    if actor.type not in (ActorType.user, ActorType.operator):
        return None
    try:
        return uuid.UUID(actor.id)
    except ValueError:
        return None


async def _invite(
    session: AsyncSession,
    authority: Authority,
    user: UserAccount,
    *,
    actor: Actor,
    reissued: bool,
    delivered_by: str = "mail",
) -> OneTimeLink:
    """A fresh one-time invitation link for ``user``; the event names it, never its secret."""
    link = await links.create_link(
        session=session,
        user=user,
        purpose="invitation",
        valid_for=timedelta(hours=authority.settings.invitation_hours),
    )
    authority.outbox.add(
        session,
        type=USER_INVITED,
        tenant=str(user.organisation_id),
        actor=actor,
        subject=str(user.id),
        data=UserInvited(
            user_id=user.id,
            invitation_id=link.id,
            role=user.role,
            reissued=reissued,
            delivered_by="operator" if delivered_by == "operator" else "mail",
        ),
    )
    return link


async def reinvite(
    *, session: AsyncSession, authority: Authority, principal: Principal, user_id: uuid.UUID
) -> None:
    async with session.begin():
        user = await _user(session, principal, user_id)
        if user.status is not UserStatus.invited:
            raise IdentityRuleBroken("only a user who has not accepted yet can be re-invited")
        await _invite(session, authority, user, actor=principal.actor, reissued=True)


async def list_users(
    *,
    session: AsyncSession,
    authority: Authority,
    principal: Principal,
    limit: int,
    offset: int = 0,
    cursor: str | None = None,
) -> tuple[list[UserAccount], str | None]:
    """A page of the organisation's users (the read is audited) and the cursor of the next."""
    after = None
    if cursor:
        email, identifier = cursors.decode(cursor, parts=2)
        try:
            after = (email, uuid.UUID(identifier))
        except ValueError:
            raise cursors.CursorRefused("cursor: not one this list gave") from None
    async with session.begin():
        found = await store.users_of(
            session=session,
            organisation_id=_org(principal),
            limit=limit + 1,
            offset=0 if after else offset,
            after=after,
        )
        users, more = found[:limit], len(found) > limit
        authority.outbox.add(
            session,
            type=USER_LISTED,
            tenant=principal.organisation_id,
            actor=principal.actor,
            data=UsersListed(user_ids=[user.id for user in users]),
        )
    last = users[-1] if more else None
    return users, cursors.encode(last.email, str(last.id)) if last else None


async def view_user(
    *, session: AsyncSession, authority: Authority, principal: Principal, user_id: uuid.UUID
) -> UserAccount:
    async with session.begin():
        user = await _user(session, principal, user_id)
        authority.outbox.add(
            session,
            type=USER_VIEWED,
            tenant=principal.organisation_id,
            actor=principal.actor,
            subject=str(user.id),
            data=UserViewed(user_id=user.id, fields=VIEWED_FIELDS),
        )
    return user


async def view_own_account(
    *, session: AsyncSession, authority: Authority, principal: Principal
) -> UserAccount:
    """The caller's own account (the read is audited like any other)."""
    async with session.begin():
        user = await own_account(session, principal)
    return await view_user(
        session=session, authority=authority, principal=principal, user_id=user.id
    )


async def _keep_an_admin(session: AsyncSession, principal: Principal, user: UserAccount) -> None:
    if str(user.id) == principal.user_id:
        raise IdentityRuleBroken("you cannot do this to your own account; ask another admin")
    if (
        user.role == "admin"
        and user.status is UserStatus.active
        and await store.active_admins(session=session, organisation_id=user.organisation_id) <= 1
    ):
        raise IdentityRuleBroken("an organisation keeps at least one active admin")


async def set_status(
    *,
    session: AsyncSession,
    authority: Authority,
    principal: Principal,
    user_id: uuid.UUID,
    status: UserStatus,
) -> UserAccount:
    """Disable, re-enable or remove a user; disabling and removing end their sessions at once."""
    async with session.begin():
        user = await _user(session, principal, user_id)
        if status is not UserStatus.active:
            await _keep_an_admin(session, principal, user)
        elif user.status is not UserStatus.disabled:
            raise IdentityRuleBroken("only a disabled user can be re-enabled")
        if status is UserStatus.disabled and user.status is not UserStatus.active:
            raise IdentityRuleBroken("only an active user can be disabled")
        ended: list[uuid.UUID] = []
        if status is not UserStatus.active:
            ended = await end_sessions(
                session=session,
                authority=authority,
                user=user,
                reason="user_disabled" if status is UserStatus.disabled else "user_removed",
                actor=principal.actor,
            )
        values: dict[str, object] = {"status": status}
        if status is UserStatus.removed:
            # Minimise: a removed user keeps an id for the audit trail, not an address or name.
            values |= {
                "email": f"{user.id}@removed.invalid",
                "display_name": "",
                "password_hash": None,
                "totp_sealed": None,
                "totp_pending": None,
            }
            await session.execute(delete(Passkey).where(col(Passkey.user_id) == user.id))
            await session.execute(delete(KnownDevice).where(col(KnownDevice.user_id) == user.id))
            await session.execute(delete(EmailChange).where(col(EmailChange.user_id) == user.id))
        await session.execute(
            update(UserAccount).where(col(UserAccount.id) == user.id).values(**values)
        )
        verb = {UserStatus.active: "enabled", UserStatus.disabled: "disabled"}.get(
            status, "removed"
        )
        authority.outbox.add(
            session,
            type=f"dpa.identity.user.{verb}.v1",
            tenant=principal.organisation_id,
            actor=principal.actor,
            subject=str(user.id),
            data=UserStatusChanged(user_id=user.id, sessions_revoked=len(ended)),
        )
    await session.refresh(user)
    return user


async def change_role(
    *,
    session: AsyncSession,
    authority: Authority,
    principal: Principal,
    user_id: uuid.UUID,
    role: str,
) -> UserAccount:
    _check_role(role)
    async with session.begin():
        user = await _user(session, principal, user_id)
        if user.role == role:
            return user
        if user.role == "admin":
            await _keep_an_admin(session, principal, user)
        old = user.role
        await session.execute(
            update(UserAccount).where(col(UserAccount.id) == user.id).values(role=role)
        )
        # Tokens carry the role: the old one must not outlive the change (ASVS 7.4.3).
        await end_sessions(
            session=session,
            authority=authority,
            user=user,
            reason="role_changed",
            actor=principal.actor,
        )
        authority.outbox.add(
            session,
            type=USER_ROLE_UPDATED,
            tenant=principal.organisation_id,
            actor=principal.actor,
            subject=str(user.id),
            data=UserRoleUpdated(user_id=user.id, old_role=old, new_role=role),
        )
    await session.refresh(user)
    return user


async def reset_mfa(
    *, session: AsyncSession, authority: Authority, principal: Principal, user_id: uuid.UUID
) -> None:
    async with session.begin():
        user = await _user(session, principal, user_id)
        if user.mfa_enrolled_at is None:
            raise IdentityRuleBroken("this user has no second factor to reset")
        await session.execute(
            update(UserAccount)
            .where(col(UserAccount.id) == user.id)
            .values(totp_sealed=None, totp_pending=None, mfa_enrolled_at=None)
        )
        await session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
        await session.execute(delete(Passkey).where(col(Passkey.user_id) == user.id))
        # Whoever held the lost factor may hold a session too: it ends with the factor.
        await end_sessions(
            session=session,
            authority=authority,
            user=user,
            reason="mfa_reset",
            actor=principal.actor,
        )
        authority.outbox.add(
            session,
            type=MFA_RESET,
            tenant=principal.organisation_id,
            actor=principal.actor,
            subject=str(user.id),
            data=MfaReset(user_id=user.id),
        )


async def unlock(
    *, session: AsyncSession, authority: Authority, principal: Principal, user_id: uuid.UUID
) -> None:
    async with session.begin():
        user = await _user(session, principal, user_id)
        await session.execute(
            update(UserAccount)
            .where(col(UserAccount.id) == user.id)
            .values(failures=0, locks=0, locked_until=None, locked_permanently=False)
        )
        authority.outbox.add(
            session,
            type=ACCOUNT_UNLOCKED,
            tenant=principal.organisation_id,
            actor=principal.actor,
            subject=str(user.id),
            data=AccountUnlocked(user_id=user.id, by="admin"),
        )


async def send_reset(
    *, session: AsyncSession, authority: Authority, principal: Principal, user_id: uuid.UUID
) -> None:
    """An admin sends a user a reset link; the admin never sees or sets the password."""
    async with session.begin():
        user = await _user(session, principal, user_id)
        if user.status is not UserStatus.active:
            raise IdentityRuleBroken("only an active user can reset a password")
        await accounts.request_reset(
            session=session, authority=authority, email=user.email, by=principal.actor
        )
