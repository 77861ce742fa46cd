"""Step-up (ASVS 6.3.x, issue 13.2): proving oneself again, within a session, before a change
that would hand the account to whoever holds the session.

A stolen session (a laptop left open, a copied cookie) must not be enough to register the thief's
passkey, remove the owner's, print new recovery codes or set a new password. Such a change needs
an authentication of at most ``STEP_UP_MINUTES``: the session's own sign-in, or a step-up in it
(the password and, for a user who has one, a second factor the policy accepts). A refused step-up
counts toward the account's lock like a failed login (TOM-T5).
"""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import CursorResult, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.identity import passkeys, store
from services.identity.authority import Authority
from services.identity.caller import own_account
from services.identity.login import LoginRefused, _failure, _record_failure, usable_factors
from services.identity.mfa import _accept_code, _accept_recovery_code
from services.identity.store import LoginSession, Organisation, UserAccount
from services.identity.views import actor_of
from shared.auth import Principal
from shared.event_types.identity import SESSION_VERIFIED
from shared.events.contracts.identity import SessionVerified


def _now() -> datetime:
    return datetime.now(UTC)


async def options(
    *, sessions: async_sessionmaker[AsyncSession], authority: Authority, principal: Principal
) -> dict[str, Any]:
    """Passkey options for a step-up, naming the caller's passkeys; LoginRefused if none."""
    async with sessions() as session, session.begin():
        user = await own_account(session, principal)
        allowed = await passkeys.passkeys_of(session=session, user_id=user.id)
        if not allowed:
            raise LoginRefused
        return passkeys.authentication_options(session, authority, "step_up", user.id, allowed)


async def step_up(
    *,
    sessions: async_sessionmaker[AsyncSession],
    authority: Authority,
    principal: Principal,
    password: str,
    code: str | None,
    recovery_code: str | None,
    credential: dict[str, Any] | None,
    address: str | None,
) -> list[str]:
    """Prove the password again, and a second factor where the user has one; the session then
    counts as freshly authenticated. Returns the methods proven; raises LoginRefused."""
    async with sessions() as session:
        user = await own_account(session, principal)
        organisation = await session.get(Organisation, user.organisation_id)
        assert organisation is not None
        accepted = await usable_factors(session, store.second_factor_policy(organisation), user)
    threshold = store.lockout_policy(organisation).threshold
    async with sessions() as session, session.begin():
        attempt = await store.reserve_attempt(
            session=session, user_id=user.id, threshold=threshold, now=_now()
        )
    if attempt is None:
        await _record_failure(sessions, authority, user, organisation, "locked", None, address)
        raise LoginRefused
    stored = user.password_hash
    if not await asyncio.to_thread(authority.passwords.verify, stored, password):
        await _record_failure(
            sessions, authority, user, organisation, "credentials", attempt, address
        )
        raise LoginRefused
    async with sessions() as session, session.begin():
        methods = await _second_factor(
            session, authority, user, accepted, code, recovery_code, credential
        )
        if methods is not None and await _verified(
            session, authority, user, principal.session_id, methods
        ):
            await store.clear_failures(session=session, user_id=user.id)
            return methods
        await _failure(session, authority, user, organisation, "second_factor", attempt, address)
    raise LoginRefused


async def _second_factor(
    session: AsyncSession,
    authority: Authority,
    user: UserAccount,
    accepted: tuple[str, ...],
    code: str | None,
    recovery_code: str | None,
    credential: dict[str, Any] | None,
) -> list[str] | None:
    """The methods a step-up proves after the password: ``pwd`` alone for a user without a second
    factor, ``pwd`` and the factor the user answered with, if the policy accepts it and it
    verifies; None otherwise."""
    if user.mfa_enrolled_at is None:
        return ["pwd"]
    if credential is not None and "passkey" in accepted:
        try:
            await passkeys.verify_assertion(session, authority, credential, "step_up", user)
        except passkeys.PasskeyRefused:
            return None
        return ["pwd", "hwk"]
    if code is not None and "otp" in accepted:
        return ["pwd", "otp"] if await _accept_code(session, authority, user, code) else None
    if recovery_code is not None and "rec" in accepted:
        proven = await _accept_recovery_code(session, authority, user, recovery_code)
        return ["pwd", "rec"] if proven else None
    return None


async def _verified(
    session: AsyncSession,
    authority: Authority,
    user: UserAccount,
    session_id: str,
    methods: list[str],
) -> bool:
    """Mark the caller's live session freshly authenticated and record it (``session.verified``);
    False if the session ended meanwhile."""
    verified = await session.execute(
        update(LoginSession)
        .where(
            col(LoginSession.id) == uuid.UUID(session_id),
            col(LoginSession.user_id) == user.id,
            col(LoginSession.revoked_at).is_(None),
        )
        .values(verified_at=_now())
    )
    assert isinstance(verified, CursorResult)
    if verified.rowcount != 1:
        return False
    authority.outbox.add(
        session,
        type=SESSION_VERIFIED,
        tenant=str(user.organisation_id),
        actor=actor_of(user),
        subject=str(user.id),
        data=SessionVerified(user_id=user.id, session_id=uuid.UUID(session_id), methods=methods),
    )
    return True
