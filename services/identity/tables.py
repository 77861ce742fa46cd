"""Identity's tables. Secrets are never stored: passwords as argon2id hashes, one-time tokens and
recovery codes as digests, TOTP secrets sealed with identity's data key (TOM-T10)."""

import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from services.identity.domain import (
    DEFAULT_IDLE_MINUTES,
    GrantStatus,
    MfaRequirement,
    OrganisationStatus,
    UserStatus,
)


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


from services.identity.federation_tables import FederatedAttempt, IdentityProvider  # noqa: E402

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
