"""The caller's own account, as their token names it, and whether their session authenticated
recently enough for a sensitive change (step-up). Use cases on one's own account start here."""

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.identity import store
from services.identity.domain import UserStatus, recently_authenticated
from services.identity.store import LoginSession, UserAccount
from shared.auth import Principal
from shared.moments import as_utc


class NotOwnAccount(Exception):
    """A token under a supplier grant (or without a user) has no account here."""


class AccountGone(Exception):
    """The token's user is no longer an active account of its organisation."""


class StepUpRequired(Exception):
    """The session's last authentication is too old for this change."""


def user_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def own_account(session: AsyncSession, principal: Principal) -> UserAccount:
    """The caller's own active account, in the caller's transaction."""
    user_id = user_uuid(principal.user_id)
    if principal.grant_id is not None or user_id is None:
        raise NotOwnAccount
    user = await store.user_in(
        session=session, organisation_id=uuid.UUID(principal.organisation_id), user_id=user_id
    )
    if user is None or user.status is not UserStatus.active:
        raise AccountGone
    return user


async def require_recent(*, session: AsyncSession, user: UserAccount, session_id: str) -> None:
    """Raise :class:`StepUpRequired` unless the caller's session authenticated its user within
    the last few minutes."""
    login_id = user_uuid(session_id)
    login = None if login_id is None else await session.get(LoginSession, login_id)
    if (
        login is None
        or login.user_id != user.id
        or login.revoked_at is not None
        or not recently_authenticated(
            signed_in_at=as_utc(login.created_at),
            verified_at=as_utc(login.verified_at) if login.verified_at else None,
            now=datetime.now(UTC),
        )
    ):
        raise StepUpRequired


async def recent_account(session: AsyncSession, principal: Principal) -> UserAccount:
    """The caller's own account, in a session that authenticated within the last few minutes."""
    user = await own_account(session, principal)
    await require_recent(session=session, user=user, session_id=principal.session_id)
    return user
