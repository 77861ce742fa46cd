"""Queries on identity's tables; keyword-only, and scoped to an organisation wherever a caller's
request reaches tenant data (another organisation's user is simply not found)."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.identity.domain import (
    LockoutPolicy,
    MfaRequirement,
    OrganisationStatus,
    PasswordPolicy,
    SecondFactorPolicy,
    UserStatus,
    required_mfa,
)
from services.identity.tables import (
    ClientFailure,
    KnownDevice,
    LoginSession,
    OneTimeLink,
    Organisation,
    PasswordHistory,
    UserAccount,
)

SINGLE_STATEMENT = "pactum_single_statement"


@asynccontextmanager
async def single_statement(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session for one statement that is atomic on its own, committed on exit: on PostgreSQL in
    autocommit (no BEGIN and COMMIT round trips), on SQLite without ``BEGIN IMMEDIATE``."""
    async with sessions() as session:
        autocommit = session.get_bind().dialect.name == "postgresql"
        await session.connection(
            execution_options={"isolation_level": "AUTOCOMMIT"}
            if autocommit
            else {SINGLE_STATEMENT: True}
        )
        yield session
        await session.commit()


def password_policy(organisation: Organisation) -> PasswordPolicy:
    return PasswordPolicy(
        min_length=organisation.min_length,
        history=organisation.password_history,
        mfa=organisation.mfa,
    )


def second_factor_policy(organisation: Organisation) -> SecondFactorPolicy:
    return SecondFactorPolicy(
        mfa=required_mfa(organisation.kind, organisation.mfa),
        phishing_resistant_admins=organisation.phishing_resistant_admins,
        passwordless=organisation.passwordless,
    )


def lockout_policy(organisation: Organisation) -> LockoutPolicy:
    return LockoutPolicy(
        threshold=organisation.lock_threshold,
        lock_minutes=tuple(int(m) for m in organisation.lock_minutes.split(",")),
        permanent_after=organisation.permanent_after,
    )


def _rows(result: object) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


async def get_organisation(
    *, session: AsyncSession, organisation_id: uuid.UUID
) -> Organisation | None:
    return await session.get(Organisation, organisation_id)


def _holder_first() -> Any:
    """An address's account before its pending invitations (it has at most one account)."""
    return (col(UserAccount.status) == UserStatus.invited).asc()


async def user_by_email(*, session: AsyncSession, email: str) -> UserAccount | None:
    """The account the address holds, else one of its pending invitations."""
    result = await session.scalars(
        select(UserAccount)
        .where(col(UserAccount.email) == email.strip().lower())
        .order_by(_holder_first())
    )
    return result.first()


async def address_holds_account(
    *, session: AsyncSession, email: str, other_than: uuid.UUID
) -> bool:
    """True if ``email`` has an account (not a pending invitation) other than ``other_than``."""
    found = await session.scalar(
        select(col(UserAccount.id)).where(
            col(UserAccount.email) == email,
            col(UserAccount.status) != UserStatus.invited,
            col(UserAccount.id) != other_than,
        )
    )
    return found is not None


async def user_in(
    *, session: AsyncSession, organisation_id: uuid.UUID, user_id: uuid.UUID
) -> UserAccount | None:
    result = await session.scalars(
        select(UserAccount).where(
            col(UserAccount.id) == user_id,
            col(UserAccount.organisation_id) == organisation_id,
            col(UserAccount.status) != UserStatus.removed,
        )
    )
    return result.first()


async def users_of(
    *,
    session: AsyncSession,
    organisation_id: uuid.UUID,
    limit: int,
    offset: int = 0,
    after: tuple[str, uuid.UUID] | None = None,
) -> list[UserAccount]:
    """The organisation's users by address (then id), after the user ``after`` names."""
    query = select(UserAccount).where(
        col(UserAccount.organisation_id) == organisation_id,
        col(UserAccount.status) != UserStatus.removed,
    )
    if after is not None:
        email, last = after
        query = query.where(
            (col(UserAccount.email) > email)
            | ((col(UserAccount.email) == email) & (col(UserAccount.id) > last))
        )
    result = await session.scalars(
        query.order_by(col(UserAccount.email), col(UserAccount.id)).limit(limit).offset(offset)
    )
    return list(result.all())


async def active_admins(*, session: AsyncSession, organisation_id: uuid.UUID) -> int:
    result = await session.scalars(
        select(col(UserAccount.id)).where(
            col(UserAccount.organisation_id) == organisation_id,
            col(UserAccount.role) == "admin",
            col(UserAccount.status) == UserStatus.active,
        )
    )
    return len(result.all())


async def reserve_attempt(
    *, session: AsyncSession, user_id: uuid.UUID, threshold: int, now: datetime
) -> int | None:
    """Count an attempt before it is evaluated; None if the account is locked (TOM-T5).

    One conditional UPDATE: however many attempts run in parallel, no more than ``threshold``
    are admitted before the lock, because each one needs a free place under the threshold.
    """
    result = await session.execute(
        update(UserAccount)
        .where(
            col(UserAccount.id) == user_id,
            col(UserAccount.failures) < threshold,
            col(UserAccount.locked_permanently).is_(False),
            (col(UserAccount.locked_until).is_(None)) | (col(UserAccount.locked_until) <= now),
        )
        .values(failures=UserAccount.failures + 1)
    )
    if _rows(result) != 1:
        return None
    count = await session.scalar(
        select(col(UserAccount.failures)).where(col(UserAccount.id) == user_id)
    )
    return int(count or 0)


@dataclass(frozen=True)
class Admission:
    """A login attempt admitted and counted: the account as it is now, and whether its
    organisation requires a second factor."""

    user: UserAccount
    mfa: MfaRequirement
    phishing_resistant_admins: bool = False
    kind: str = "controller"

    @property
    def attempt(self) -> int:
        return self.user.failures


async def admit_login(
    *,
    session: AsyncSession,
    email: str,
    now: datetime,
    client: str | None,
    window: int,
    client_limit: int,
) -> Admission | None:
    """:func:`reserve_attempt` for a login by e-mail, in one statement (TOM-T5).

    The conditional UPDATE takes the threshold from the organisation's policy, refuses an address
    over its failure limit, and returns the account with the organisation's MFA requirement: no
    read before or after it. None when the account is unknown, not active or locked, its
    organisation is disabled, or the address is throttled; the caller finds out which only after
    the (equal-cost) hash check.
    """
    organisation = col(Organisation.id) == col(UserAccount.organisation_id)
    threshold = select(col(Organisation.lock_threshold)).where(organisation).scalar_subquery()
    mfa = select(col(Organisation.mfa)).where(organisation).scalar_subquery()
    passkey_admins = (
        select(col(Organisation.phishing_resistant_admins)).where(organisation).scalar_subquery()
    )
    kind = select(col(Organisation.kind)).where(organisation).scalar_subquery()
    active_organisations = select(col(Organisation.id)).where(
        col(Organisation.status) == OrganisationStatus.active
    )
    statement = update(UserAccount).where(
        col(UserAccount.email) == email.strip().lower(),
        col(UserAccount.status) == UserStatus.active,
        col(UserAccount.organisation_id).in_(active_organisations),
        col(UserAccount.failures) < threshold,
        col(UserAccount.locked_permanently).is_(False),
        (col(UserAccount.locked_until).is_(None)) | (col(UserAccount.locked_until) <= now),
    )
    if client is not None:
        statement = statement.where(
            ~exists().where(
                col(ClientFailure.address) == client,
                col(ClientFailure.window) == window,
                col(ClientFailure.failures) >= client_limit,
            )
        )
    found = (
        await session.execute(
            statement.values(failures=UserAccount.failures + 1)
            .returning(UserAccount, mfa, passkey_admins, kind)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if found is None:
        return None
    return Admission(
        user=found[0],
        mfa=required_mfa(str(found[3]), found[1]),
        phishing_resistant_admins=bool(found[2]),
        kind=str(found[3]),
    )


async def user_with_organisation(
    *, session: AsyncSession, email: str
) -> tuple[UserAccount, Organisation] | tuple[None, None]:
    found = (
        await session.execute(
            select(UserAccount, Organisation)
            .join(Organisation, col(Organisation.id) == col(UserAccount.organisation_id))
            .where(col(UserAccount.email) == email.strip().lower())
            .order_by(_holder_first())
        )
    ).first()
    return (None, None) if found is None else (found[0], found[1])


async def release_attempt(*, session: AsyncSession, user_id: uuid.UUID) -> None:
    """A correct first factor gives its place back (the second factor is still due)."""
    await session.execute(
        update(UserAccount)
        .where(col(UserAccount.id) == user_id, col(UserAccount.failures) > 0)
        .values(failures=UserAccount.failures - 1)
    )


async def clear_failures(*, session: AsyncSession, user_id: uuid.UUID) -> None:
    await session.execute(
        update(UserAccount)
        .where(col(UserAccount.id) == user_id)
        .values(failures=0, locks=0, locked_until=None)
    )


async def count_client_failure(
    *, session: AsyncSession, client: str, window: int, dialect: str
) -> None:
    """Count one failed login of ``client`` (:meth:`Authority.client_key`, never an address)."""
    await _count_for_client(session, key=client, window=window, dialect=dialect)


RESET_KEY = "reset "  # reset requests share the table; their keys cannot be an address


async def count_reset_request(
    *, session: AsyncSession, client: str, window: int, dialect: str
) -> int:
    """Count one self-service reset request from ``client`` (:meth:`Authority.client_key`);
    the window's count with it."""
    key = (RESET_KEY + client)[:64]  # the column's length
    return await _count_for_client(session, key=key, window=window, dialect=dialect)


async def _count_for_client(session: AsyncSession, *, key: str, window: int, dialect: str) -> int:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(ClientFailure).values(address=key, window=window, failures=1)
    counted = await session.scalar(
        statement.on_conflict_do_update(
            index_elements=["address", "window"],
            set_={"failures": ClientFailure.failures + 1},
        ).returning(col(ClientFailure.failures))
    )
    return int(counted or 0)


async def remember_device(
    *, session: AsyncSession, user: UserAccount, digest: str, now: datetime
) -> bool:
    """Record that ``user`` signed in from the device ``digest``; True if it is new to an account
    that has signed in from another before (the first device is no news)."""
    known = set(
        (
            await session.scalars(
                select(col(KnownDevice.digest)).where(col(KnownDevice.user_id) == user.id)
            )
        ).all()
    )
    if digest in known:
        await session.execute(
            update(KnownDevice)
            .where(col(KnownDevice.user_id) == user.id, col(KnownDevice.digest) == digest)
            .values(last_seen_at=now)
        )
        return False
    session.add(
        KnownDevice(
            user_id=user.id,
            organisation_id=user.organisation_id,
            digest=digest,
            first_seen_at=now,
            last_seen_at=now,
        )
    )
    return bool(known)


async def links_since(
    *, session: AsyncSession, user_id: uuid.UUID, purpose: str, since: datetime
) -> int:
    """How many one-time links of ``purpose`` the user was given since ``since``."""
    found = await session.scalar(
        select(func.count())
        .select_from(OneTimeLink)
        .where(
            col(OneTimeLink.user_id) == user_id,
            col(OneTimeLink.purpose) == purpose,
            col(OneTimeLink.created_at) >= since,
        )
    )
    return int(found or 0)


async def client_failures(*, session: AsyncSession, client: str, window: int) -> int:
    value = await session.scalar(
        select(col(ClientFailure.failures)).where(
            col(ClientFailure.address) == client,
            col(ClientFailure.window) == window,
        )
    )
    return int(value or 0)


async def password_history(*, session: AsyncSession, user_id: uuid.UUID, limit: int) -> list[str]:
    result = await session.scalars(
        select(col(PasswordHistory.password_hash))
        .where(col(PasswordHistory.user_id) == user_id)
        .order_by(col(PasswordHistory.id).desc())
        .limit(limit)
    )
    return list(result.all())


async def revoke_sessions(
    *,
    session: AsyncSession,
    user_id: uuid.UUID,
    reason: str,
    now: datetime,
    except_session: uuid.UUID | None = None,
    only_session: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """End a user's live sessions; returns the ids of those that were live."""
    query = select(col(LoginSession.id)).where(
        col(LoginSession.user_id) == user_id, col(LoginSession.revoked_at).is_(None)
    )
    if except_session is not None:
        query = query.where(col(LoginSession.id) != except_session)
    if only_session is not None:
        query = query.where(col(LoginSession.id) == only_session)
    ids = list((await session.scalars(query)).all())
    if ids:
        await session.execute(
            update(LoginSession)
            .where(col(LoginSession.id).in_(ids), col(LoginSession.revoked_at).is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )
    return ids
