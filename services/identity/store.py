"""Identity's tables and the queries on them; queries are keyword-only, and scoped to an
organisation wherever a caller's request reaches tenant data (another organisation's user is
simply not found). ``TABLES`` is what the migrations migrate to: they import this module, never
the app.

Secrets are never stored: passwords as argon2id hashes, one-time tokens and recovery codes as
digests, TOTP secrets and identity providers' client secrets sealed with identity's data key
(TOM-T10)."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    CursorResult,
    DateTime,
    Index,
    Row,
    Text,
    UniqueConstraint,
    Update,
    event,
    exists,
    func,
    insert,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.util.concurrency import await_
from sqlmodel import Field, SQLModel, col

from services.identity.domain import (
    DEFAULT_IDLE_MINUTES,
    GrantStatus,
    LockoutPolicy,
    MfaRequirement,
    OrganisationStatus,
    PasswordPolicy,
    SecondFactorPolicy,
    UserStatus,
    required_mfa,
)
from shared.database import is_sqlite
from shared.outbox import OutboxMessage


def _when(nullable: bool = True) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=nullable)


class Organisation(SQLModel, table=True):
    __tablename__ = "organisation"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=20)
    created_at: datetime = Field(sa_column=_when(False))
    status: OrganisationStatus = Field(default=OrganisationStatus.active)  # set by an operator
    # Password policy (TOM-T2c) and lockout policy (TOM-T5), set by the organisation's admins.
    min_length: int = 12
    password_history: int = 0
    mfa: MfaRequirement = Field(default=MfaRequirement.none)
    lock_threshold: int = 5
    lock_minutes: str = Field(default="1,5,15,60", max_length=200)
    permanent_after: int | None = None
    # Passkeys (TOM-T2b): an admin's second factor must be one; a passkey may replace the password.
    phishing_resistant_admins: bool = False
    passwordless: bool = False
    # A session unused this long ends, within its absolute lifetime (ASVS 7.3.1).
    session_idle_minutes: int = DEFAULT_IDLE_MINUTES


# Where an address holds an account: at most one that is not a pending invitation (login and reset
# find exactly one), and one per organisation. Invitations of the same address by several
# organisations may wait side by side: whoever holds the mailbox accepts one (issue 18.3).
_HOLDS_ACCOUNT = text("status != 'invited'")


class UserAccount(SQLModel, table=True):
    __tablename__ = "user_account"
    __table_args__ = (
        Index("uq_user_account_organisation_email", "organisation_id", "email", unique=True),
        Index(
            "uq_user_account_email_account",
            "email",
            unique=True,
            sqlite_where=_HOLDS_ACCOUNT,
            postgresql_where=_HOLDS_ACCOUNT,
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(index=True, foreign_key="organisation.id")
    email: str = Field(max_length=254)  # lower-cased
    display_name: str = Field(default="", max_length=200)
    role: str = Field(max_length=20)
    status: UserStatus = Field(default=UserStatus.invited)
    password_hash: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    password_changed_at: datetime | None = Field(default=None, sa_column=_when())
    created_at: datetime = Field(sa_column=_when(False))
    # Brute-force protection (TOM-T5): attempts are counted before they are evaluated.
    failures: int = 0
    locks: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=_when())
    locked_permanently: bool = False
    # Second factor (TOM-T2b): sealed TOTP secret, last accepted time step (codes are single-use).
    totp_sealed: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    totp_pending: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    totp_last_step: int = 0
    mfa_enrolled_at: datetime | None = Field(default=None, sa_column=_when())
    # Who invited the user (a user id, perhaps of the operator); None when unknown: invited by the
    # operator CLI or the demo seed, or before it was recorded (migration 0003).
    invited_by: uuid.UUID | None = Field(default=None)


class EmailChange(SQLModel, table=True):
    """A change of a user's sign-in address (issue 13.2), asked for in a recently authenticated
    session and made when the one-time link sent to the new address is used (so the address an
    account signs in with, and security notices go to, is always one its owner proved). The
    former address is kept so that the notice of the change reaches it too; a removed user's
    rows are deleted."""

    __tablename__ = "email_change"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(index=True, foreign_key="user_account.id")
    organisation_id: uuid.UUID = Field(index=True)
    link_id: uuid.UUID = Field(unique=True, foreign_key="one_time_link.id")
    new_email: str = Field(max_length=254)
    former_email: str = Field(max_length=254)
    requested_at: datetime = Field(sa_column=_when(False))
    confirmed_at: datetime | None = Field(default=None, sa_column=_when())


class PasswordHistory(SQLModel, table=True):
    __tablename__ = "password_history"

    id: int | None = Field(default=None, primary_key=True)
    user_id: uuid.UUID = Field(index=True, foreign_key="user_account.id")
    password_hash: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=_when(False))


class RecoveryCode(SQLModel, table=True):
    __tablename__ = "recovery_code"

    digest: str = Field(primary_key=True, max_length=64)
    user_id: uuid.UUID = Field(index=True, foreign_key="user_account.id")
    used_at: datetime | None = Field(default=None, sa_column=_when())


class OneTimeLink(SQLModel, table=True):
    """An invitation or reset link. Its secret is minted when the notifier fetches it for delivery
    and only its digest is kept; fetching again replaces the secret. A link whose secret the
    operator's command printed (``handed_over``) is never minted again: no mail replaces it."""

    __tablename__ = "one_time_link"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(index=True, foreign_key="user_account.id")
    organisation_id: uuid.UUID = Field(index=True)
    purpose: str = Field(max_length=20)  # invitation | password_reset
    digest: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = Field(sa_column=_when(False))
    expires_at: datetime = Field(sa_column=_when(False))
    fetches: int = 0
    used_at: datetime | None = Field(default=None, sa_column=_when())
    handed_over: bool = False


class Challenge(SQLModel, table=True):
    """A login half-way: password proven, second factor (or its enrolment) still due."""

    __tablename__ = "login_challenge"

    digest: str = Field(primary_key=True, max_length=64)
    user_id: uuid.UUID = Field(index=True, foreign_key="user_account.id")
    purpose: str = Field(max_length=20)  # second_factor | enrol_second_factor
    methods: str = Field(max_length=100)
    expires_at: datetime = Field(sa_column=_when(False))
    used_at: datetime | None = Field(default=None, sa_column=_when())


class LoginSession(SQLModel, table=True):
    __tablename__ = "login_session"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(index=True, foreign_key="user_account.id")
    organisation_id: uuid.UUID = Field(index=True)
    methods: str = Field(max_length=100)
    created_at: datetime = Field(sa_column=_when(False))
    expires_at: datetime = Field(sa_column=_when(False))  # absolute lifetime (ASVS 7.3.2)
    # When the user last proved themselves again in this session (step-up), if ever.
    verified_at: datetime | None = Field(default=None, sa_column=_when())
    revoked_at: datetime | None = Field(default=None, sa_column=_when())
    revoked_reason: str | None = Field(default=None, max_length=40)


class KnownDevice(SQLModel, table=True):
    """A browser and network a user signed in from (a digest: neither is stored), so that a
    sign-in from a new one is told to them (issue 13.2)."""

    __tablename__ = "known_device"
    __table_args__ = (UniqueConstraint("user_id", "digest"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(index=True, foreign_key="user_account.id")
    organisation_id: uuid.UUID
    digest: str = Field(max_length=64)
    first_seen_at: datetime = Field(sa_column=_when(False))
    last_seen_at: datetime = Field(sa_column=_when(False))


class RefreshToken(SQLModel, table=True):
    """Every refresh token a session ever had: a used one presented again is a theft signal."""

    __tablename__ = "refresh_token"

    digest: str = Field(primary_key=True, max_length=64)
    session_id: uuid.UUID = Field(index=True, foreign_key="login_session.id")
    issued_at: datetime = Field(sa_column=_when(False))
    used_at: datetime | None = Field(default=None, sa_column=_when())


class ClientFailure(SQLModel, table=True):
    """Failed logins per client address and window, against credential stuffing."""

    __tablename__ = "client_failure"
    __table_args__ = (UniqueConstraint("address", "window"),)

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(max_length=64)
    window: int
    failures: int = 0


class Grant(SQLModel, table=True):
    __tablename__ = "access_grant"
    __table_args__ = (Index("ix_grant_org_status", "organisation_id", "status"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id")  # the customer
    operator_id: uuid.UUID = Field(index=True, foreign_key="user_account.id")
    operator_organisation_id: uuid.UUID
    access: str = Field(max_length=10)
    reason: str = Field(max_length=500)
    minutes: int
    status: GrantStatus = Field(default=GrantStatus.requested)
    requested_at: datetime = Field(sa_column=_when(False))
    decided_at: datetime | None = Field(default=None, sa_column=_when())
    decided_by: uuid.UUID | None = None
    expires_at: datetime | None = Field(default=None, sa_column=_when())
    notice_id: uuid.UUID | None = None


class MaintenanceNotice(SQLModel, table=True):
    __tablename__ = "maintenance_notice"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(index=True, foreign_key="organisation.id")
    operator_id: uuid.UUID
    reason: str = Field(max_length=500)
    sent_at: datetime = Field(sa_column=_when(False))
    starts_at: datetime = Field(sa_column=_when(False))
    ends_at: datetime = Field(sa_column=_when(False))
    # The customer's admin objected: the notice covers nothing, the grants it covered ended.
    objected_at: datetime | None = Field(default=None, sa_column=_when())
    objected_by: uuid.UUID | None = None
    objection: str | None = Field(default=None, max_length=500)


class Passkey(SQLModel, table=True):
    """A WebAuthn credential (FIDO2): its public key, never a secret. The sign count and the
    backup flags are what the authenticator last reported: a count that does not grow betrays a
    cloned authenticator, a backed-up (synced) passkey lives beyond one device."""

    __tablename__ = "passkey"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(index=True, foreign_key="user_account.id")
    organisation_id: uuid.UUID = Field(index=True)
    credential_id: str = Field(max_length=1400, unique=True)  # base64url, at most 1023 bytes
    public_key: str = Field(sa_column=Column(Text, nullable=False))  # base64url COSE key
    sign_count: int = 0
    name: str = Field(max_length=60)
    aaguid: str = Field(default="", max_length=36)
    transports: str = Field(default="", max_length=200)
    backup_eligible: bool = False
    backed_up: bool = False
    created_at: datetime = Field(sa_column=_when(False))
    last_used_at: datetime | None = Field(default=None, sa_column=_when())


class PasskeyCeremony(SQLModel, table=True):
    """A WebAuthn challenge handed to a browser, kept as a digest until its answer comes back
    (used once, a few minutes). ``user_id`` is None for a passwordless sign-in: who answers is
    learnt from the passkey."""

    __tablename__ = "passkey_ceremony"

    digest: str = Field(primary_key=True, max_length=64)
    purpose: str = Field(max_length=20)  # register | second_factor | sign_in
    user_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    expires_at: datetime = Field(sa_column=_when(False))
    used_at: datetime | None = Field(default=None, sa_column=_when())


class SigningKey(SQLModel, table=True):
    """Public halves of the signing keys, current and retired, for the JWKS during rotation."""

    __tablename__ = "signing_key"

    kid: str = Field(primary_key=True, max_length=64)
    public_x: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=_when(False))
    retired_at: datetime | None = Field(default=None, sa_column=_when())


# An organisation's own identity provider (federation.py). The client secret is stored sealed with
# identity's data key (TOM-T10); an attempt keeps its ``state`` as a digest and its PKCE verifier
# sealed, and is used once.
class IdentityProvider(SQLModel, table=True):
    """One per organisation: the OpenID Provider its staff sign in with."""

    __tablename__ = "identity_provider"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(unique=True, foreign_key="organisation.id")
    issuer: str = Field(max_length=500)
    client_id: str = Field(max_length=500)
    client_secret_sealed: str = Field(sa_column=Column(Text, nullable=False))
    email_claim: str = Field(default="email", max_length=100)
    allowed_domains: str = Field(sa_column=Column(Text, nullable=False))  # comma-separated
    just_in_time: bool = False
    mfa_acr: str = Field(default="", sa_column=Column(Text, nullable=False))  # space-separated
    mfa_amr: str = Field(default="", sa_column=Column(Text, nullable=False))  # space-separated
    # From the provider's discovery document when it was connected.
    authorization_endpoint: str = Field(max_length=500)
    token_endpoint: str = Field(max_length=500)
    jwks_uri: str = Field(max_length=500)
    connected_at: datetime = Field(sa_column=_when(False))


class FederatedAttempt(SQLModel, table=True):
    """A sign-in sent to the provider and not yet back: its state (as a digest), nonce and PKCE
    verifier (sealed), for a few minutes, once."""

    __tablename__ = "federated_attempt"

    state_digest: str = Field(primary_key=True, max_length=64)
    provider_id: uuid.UUID = Field(index=True, foreign_key="identity_provider.id")
    organisation_id: uuid.UUID = Field(index=True)
    nonce: str = Field(max_length=100)
    verifier_sealed: str = Field(sa_column=Column(Text, nullable=False))
    expires_at: datetime = Field(sa_column=_when(False))
    used_at: datetime | None = Field(default=None, sa_column=_when())


TABLES = tuple(
    model.__table__  # type: ignore[union-attr]
    for model in (
        Organisation,
        UserAccount,
        PasswordHistory,
        RecoveryCode,
        OneTimeLink,
        EmailChange,
        Challenge,
        LoginSession,
        RefreshToken,
        KnownDevice,
        ClientFailure,
        Grant,
        MaintenanceNotice,
        Passkey,
        PasskeyCeremony,
        SigningKey,
        IdentityProvider,
        FederatedAttempt,
    )
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


@asynccontextmanager
async def one_round_trip(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session for a use case whose writes are one statement on PostgreSQL (in autocommit, as
    :func:`single_statement`) and several on SQLite (in one transaction there), committed on
    exit."""
    async with sessions() as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        if not postgres:
            async with session.begin():
                yield session
    if postgres:
        async with single_statement(sessions) as session:
            yield session


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


def _is_active_admin(organisation_id: uuid.UUID) -> tuple[Any, ...]:
    return (
        col(UserAccount.organisation_id) == organisation_id,
        col(UserAccount.role) == "admin",
        col(UserAccount.status) == UserStatus.active,
    )


async def active_admins(*, session: AsyncSession, organisation_id: uuid.UUID) -> int:
    result = await session.scalars(
        select(col(UserAccount.id)).where(*_is_active_admin(organisation_id))
    )
    return len(result.all())


async def admins_of(*, session: AsyncSession, organisation_id: uuid.UUID) -> list[UserAccount]:
    """An organisation's active admins."""
    found = await session.scalars(select(UserAccount).where(*_is_active_admin(organisation_id)))
    return list(found.all())


def _not_locked(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """The account may try now: not locked for good, and no lock running."""
    return (
        col(UserAccount.locked_permanently).is_(False),
        (col(UserAccount.locked_until).is_(None)) | (col(UserAccount.locked_until) <= now),
    )


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
            *_not_locked(now),
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
    # The digests of the devices the account signed in from, read by the same statement: the
    # record of a sign-in then needs no read of its own.
    known_devices: frozenset[str] = frozenset()

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
    found = (
        await session.execute(
            _attempt_counted(
                email=email, now=now, client=client, window=window, client_limit=client_limit
            )
            .returning(UserAccount, *_admission_reads())
            .execution_options(synchronize_session=False)
        )
    ).first()
    return None if found is None else _admission(found)


def _of_own_organisation(column: Any) -> Any:
    """A column of the account's organisation, read inside the statement on the account."""
    return (
        select(col(column))
        .where(col(Organisation.id) == col(UserAccount.organisation_id))
        .scalar_subquery()
    )


def _attempt_counted(
    *, email: str, now: datetime, client: str | None, window: int, client_limit: int
) -> Update:
    """The login attempt by ``email`` counted, if it may be made: an active account of an active
    organisation, under the organisation's lock threshold and not locked, from a client not over
    its failure limit in this ``window``."""
    active_organisations = select(col(Organisation.id)).where(
        col(Organisation.status) == OrganisationStatus.active
    )
    statement = update(UserAccount).where(
        col(UserAccount.email) == email.strip().lower(),
        col(UserAccount.status) == UserStatus.active,
        col(UserAccount.organisation_id).in_(active_organisations),
        col(UserAccount.failures) < _of_own_organisation(Organisation.lock_threshold),
        *_not_locked(now),
    )
    if client is not None:
        statement = statement.where(
            ~exists().where(
                col(ClientFailure.address) == client,
                col(ClientFailure.window) == window,
                col(ClientFailure.failures) >= client_limit,
            )
        )
    return statement.values(failures=UserAccount.failures + 1)


def _admission_reads() -> tuple[Any, ...]:
    """What the admission returns besides the account: its organisation's MFA requirement,
    whether the organisation's admins must use a passkey, its kind, and the digests of the
    devices the account signed in from."""
    # Qualified by hand: SQLite's RETURNING is rendered with bare column names, and a bare ``id``
    # inside the subquery would be known_device's own.
    devices = (
        select(func.aggregate_strings(col(KnownDevice.digest), ","))
        .where(col(KnownDevice.user_id) == literal_column("user_account.id"))
        .scalar_subquery()
    )
    return (
        _of_own_organisation(Organisation.mfa),
        _of_own_organisation(Organisation.phishing_resistant_admins),
        _of_own_organisation(Organisation.kind),
        devices,
    )


def _admission(found: Row[UserAccount, MfaRequirement, bool, str, str | None]) -> Admission:
    """The admitted attempt, from the row the admission returned."""
    user, mfa, passkey_admins, kind, devices = found
    return Admission(
        user=user,
        mfa=required_mfa(str(kind), mfa),
        phishing_resistant_admins=bool(passkey_admins),
        kind=str(kind),
        known_devices=frozenset(devices.split(",")) if devices else frozenset(),
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


async def known_devices(*, session: AsyncSession, user_id: uuid.UUID) -> frozenset[str]:
    """The digests of the devices ``user_id`` signed in from."""
    found = await session.scalars(
        select(col(KnownDevice.digest)).where(col(KnownDevice.user_id) == user_id)
    )
    return frozenset(found.all())


def _device_seen(
    session: AsyncSession, user: UserAccount, digest: str, now: datetime, rekeyed: str | None
) -> Any:
    """The device's row, added or its last sighting moved (two first sign-ins from one device at
    once both land); a device remembered under its ``rekeyed`` (unkeyed) digest, from before
    digests were keyed, takes ``digest``."""
    if rekeyed is not None:
        return (
            update(KnownDevice)
            .where(col(KnownDevice.user_id) == user.id, col(KnownDevice.digest) == rekeyed)
            .values(digest=digest, last_seen_at=now)
        )
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return (
        insert(KnownDevice)
        .values(
            id=uuid.uuid4(),
            user_id=user.id,
            organisation_id=user.organisation_id,
            digest=digest,
            first_seen_at=now,
            last_seen_at=now,
        )
        .on_conflict_do_update(index_elements=["user_id", "digest"], set_={"last_seen_at": now})
    )


async def record_sign_in(
    *,
    session: AsyncSession,
    user: UserAccount,
    device: str,
    rekeyed: str | None,
    now: datetime,
    login: LoginSession,
    refresh: RefreshToken,
    event: dict[str, Any],
) -> None:
    """A completed sign-in's writes: the account's failures cleared, the device seen, the
    session, its first refresh token and the outbox row ``event``. On PostgreSQL one statement
    (data-modifying ``WITH``: one round trip, atomic on its own); on SQLite, which allows no
    writes inside ``WITH``, one statement each in the caller's transaction."""
    statements = [
        update(UserAccount)
        .where(col(UserAccount.id) == user.id)
        .values(failures=0, locks=0, locked_until=None),
        _device_seen(session, user, device, now, rekeyed),
        insert(LoginSession).values(**_columns(login)),
        insert(RefreshToken).values(**_columns(refresh)),
        insert(OutboxMessage).values(**event),
    ]
    if session.get_bind().dialect.name != "postgresql":
        for statement in statements:
            await session.execute(statement)
        return
    steps = [
        statement.returning(literal_column("1").label("done")).cte(f"write{number}")
        for number, statement in enumerate(statements)
    ]
    await session.execute(select(*(select(step.c.done).scalar_subquery() for step in steps)))


def _columns(row: SQLModel) -> dict[str, Any]:
    return {column.name: getattr(row, column.name) for column in row.__table__.columns}  # type: ignore[attr-defined]


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


def begin_immediately(engine: AsyncEngine) -> None:
    """SQLite only: every transaction takes the write lock at BEGIN. A deferred transaction that
    reads, then writes after another connection committed, fails at once with "database is
    locked" (no busy wait is possible for a stale snapshot); identity's use cases read before they
    write, so they start IMMEDIATE and queue on the busy timeout instead. PostgreSQL: untouched."""
    if not is_sqlite(engine):
        return

    @event.listens_for(engine.sync_engine, "connect")
    def _no_implicit_begin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def _begin_immediate(connection: Any) -> None:
        if connection.get_execution_options().get(SINGLE_STATEMENT):
            return  # one statement is atomic on its own (``store.single_statement``)
        # Straight to aiosqlite: one hop to its thread, where exec_driver_sql takes three
        # (cursor, execute, close), twice per login.
        await_(connection.connection.driver_connection.execute("BEGIN IMMEDIATE"))
