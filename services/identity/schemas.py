"""Request and response bodies of the identity API. Inputs refuse unknown fields."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.identity.domain import (
    IDLE_MINUTES_MAX,
    IDLE_MINUTES_MIN,
    MAX_LENGTH,
    GrantStatus,
    MfaRequirement,
    UserStatus,
)
from shared.input_rules import EmailAddress, Line
from shared.pagination import NEXT_CURSOR_DESCRIPTION

Password = Field(min_length=1, max_length=MAX_LENGTH * 4)
Secret = Field(min_length=16, max_length=200)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(_In):
    email: str = Field(min_length=3, max_length=254)
    password: str = Password


class SecondFactorIn(_In):
    challenge: str = Secret
    code: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    recovery_code: str | None = Field(default=None, min_length=8, max_length=40)


class EnrolmentIn(_In):
    challenge: str = Secret
    code: str | None = Field(default=None, pattern=r"^[0-9]{6}$")


class RefreshIn(_In):
    refresh_token: str = Secret


class TokensOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (a scheme, not a secret)
    expires_in: int
    refresh_token: str
    session_id: UUID
    methods: list[str]
    recovery_codes: list[str] | None = None


class SessionPublic(BaseModel):
    id: UUID
    methods: list[str]
    created_at: datetime
    expires_at: datetime
    current: bool


class SessionList(BaseModel):
    items: list[SessionPublic]


class ChallengeOut(BaseModel):
    challenge: str
    next: Literal["second_factor", "enrol_second_factor"]
    methods: list[str]
    factors: list[Literal["passkey", "otp", "rec"]] = Field(
        default_factory=list,
        description="second_factor: the steps this user may take (passkey: "
        "/login/passkey; otp, rec: /login/second-factor). enrol_second_factor: what they may set "
        "up (passkey: /login/enrolment/passkey; otp: /login/enrolment).",
    )


Credential = Field(
    description="The browser's PublicKeyCredential as JSON (``credential.toJSON()``): id, rawId, "
    "type, response with base64url fields."
)
PasskeyName = Field(min_length=1, max_length=60, description="The owner's name for it.")


class PasskeyRegisterIn(_In):
    credential: dict[str, Any] = Credential
    name: str = PasskeyName


class PasskeyNameIn(_In):
    name: str = PasskeyName


class PasskeyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    created_at: datetime
    last_used_at: datetime | None
    backup_eligible: bool = Field(description="Can be synced to the owner's other devices.")
    backed_up: bool = Field(description="Is synced: it lives beyond one device.")


class PasskeyList(BaseModel):
    items: list[PasskeyPublic]


class PasskeyRegisteredOut(BaseModel):
    passkey: PasskeyPublic
    recovery_codes: list[str] | None = Field(
        default=None, description="With a first second factor: ten codes, shown this once."
    )


class PasskeyOptionsIn(_In):
    challenge: str | None = Field(
        default=None,
        min_length=16,
        max_length=200,
        description="The login challenge after a password; absent for a passwordless sign-in.",
    )


class PasskeySignInIn(_In):
    challenge: str | None = Field(default=None, min_length=16, max_length=200)
    credential: dict[str, Any] = Credential


class StepUpIn(_In):
    password: str = Password
    code: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    recovery_code: str | None = Field(default=None, min_length=8, max_length=40)
    credential: dict[str, Any] | None = Field(
        default=None, description="A passkey's answer to /me/step-up/options."
    )


class StepUpOut(BaseModel):
    methods: list[str] = Field(description="What was proven again (amr).")
    valid_minutes: int = Field(description="How long the session now counts as recent.")


class PasskeyEnrolOptionsIn(_In):
    challenge: str = Secret


class PasskeyEnrolIn(_In):
    challenge: str = Secret
    credential: dict[str, Any] = Credential
    name: str = PasskeyName


class EnrolmentOut(BaseModel):
    secret: str
    otpauth_uri: str
    qr_svg: str


class ConfirmIn(_In):
    code: str = Field(pattern=r"^[0-9]{6}$")


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str]


class InvitationAcceptIn(_In):
    token: str = Secret
    password: str = Password


class ResetRequestIn(_In):
    email: str = Field(min_length=3, max_length=254)


class ResetCompleteIn(_In):
    token: str = Secret
    password: str = Password


class EmailChangeIn(_In):
    email: str = Field(
        min_length=3, max_length=254, description="The address to sign in with from now on."
    )


class EmailConfirmIn(_In):
    token: str = Secret


class PasswordChangeIn(_In):
    current_password: str = Password
    new_password: str = Password
    end_other_sessions: bool = False


class InviteIn(_In):
    email: EmailAddress = Field(max_length=254)
    role: Literal["admin", "member", "auditor"] = "member"
    display_name: Line = Field(default="", max_length=200)


class RoleIn(_In):
    role: Literal["admin", "member", "auditor"]


class UserPublic(BaseModel):
    id: UUID
    organisation_id: UUID
    email: str
    display_name: str
    role: str
    status: UserStatus
    mfa_enrolled: bool
    locked: bool
    created_at: datetime


class UserList(BaseModel):
    items: list[UserPublic]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class PolicyPublic(BaseModel):
    min_length: int
    password_history: int
    mfa: MfaRequirement
    lock_threshold: int
    lock_minutes: list[int]
    permanent_after: int | None
    phishing_resistant_admins: bool = Field(
        description="An admin's second factor must be a passkey (a code can be phished)."
    )
    passwordless: bool = Field(description="A passkey may sign in without the password.")
    session_idle_minutes: int = Field(
        description="A session unused this long ends (within its absolute lifetime)."
    )


class PolicyUpdate(_In):
    min_length: int | None = Field(default=None, ge=8, le=64)
    password_history: int | None = Field(default=None, ge=0, le=24)
    mfa: MfaRequirement | None = None
    lock_threshold: int | None = Field(default=None, ge=3, le=100)
    lock_minutes: list[int] | None = Field(default=None, min_length=1, max_length=10)
    permanent_after: int | None = Field(default=None, ge=1, le=50)  # null: never permanent
    phishing_resistant_admins: bool | None = None
    passwordless: bool | None = None
    session_idle_minutes: int | None = Field(default=None, ge=IDLE_MINUTES_MIN, le=IDLE_MINUTES_MAX)

    @model_validator(mode="after")
    def _only_permanent_after_may_be_null(self) -> "PolicyUpdate":
        nulls = sorted(
            name
            for name in self.model_fields_set
            if getattr(self, name) is None and name != "permanent_after"
        )
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null: leave a field out to keep it")
        return self


class OrganisationNameIn(_In):
    name: Line = Field(min_length=1, max_length=200)


class OrganisationPublic(BaseModel):
    """An organisation as the operator sees it (no policy, no users)."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    kind: Literal["controller", "processor", "operator"]
    status: Literal["active", "disabled"]
    created_at: datetime


class AnnouncementOut(BaseModel):
    announced: int = Field(description="How many organisations were announced (one event each).")


class GrantIn(_In):
    organisation_id: UUID
    reason: str = Field(min_length=10, max_length=500)
    minutes: int = Field(ge=5, le=7 * 24 * 60)
    access: Literal["read", "change"] = "read"


class GrantPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    organisation_id: UUID
    operator_id: UUID
    operator_organisation_id: UUID
    access: str
    reason: str
    minutes: int
    status: GrantStatus
    requested_at: datetime
    decided_at: datetime | None
    expires_at: datetime | None
    notice_id: UUID | None


class GrantList(BaseModel):
    items: list[GrantPublic]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class GrantTokenOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (a scheme, not a secret)
    grant: GrantPublic


class NoticeIn(_In):
    organisation_id: UUID
    starts_at: datetime
    ends_at: datetime
    reason: str = Field(min_length=10, max_length=500)


class NoticeOut(BaseModel):
    id: UUID
    organisation_id: UUID
    starts_at: datetime
    ends_at: datetime


class ObjectionIn(_In):
    reason: str = Field(min_length=10, max_length=500, description="Why the customer objects.")


class ObjectionOut(BaseModel):
    notice_id: UUID
    organisation_id: UUID
    objected_at: datetime
    reason: str
    ended_grant_ids: list[UUID] = Field(description="The grants under the notice that ended now.")


class DeliveryOut(BaseModel):
    """What the notifier needs to deliver a one-time link; the URL is in this answer only."""

    link_id: UUID
    purpose: str
    url: str
    user_id: UUID
    organisation_id: UUID
    email: str
    expires_at: datetime
    replaces_earlier: bool = Field(
        default=False,
        description="This fetch minted the link again: the URL sent before no longer works (the "
        "mail says so).",
    )


class Accepted(BaseModel):
    detail: str


class LinkInspectIn(_In):
    token: str = Secret


class InvitationPolicy(BaseModel):
    min_length: int
    mfa: MfaRequirement


class InvitationPreview(BaseModel):
    """What an invitation link is for, shown before the invited user chooses a password."""

    email: str
    display_name: str
    organisation_name: str
    organisation_kind: Literal["controller", "processor", "operator"]
    invited_by_name: str | None = Field(description="The inviter's name; null if unknown.")
    expires_at: datetime
    policy: InvitationPolicy


class ResetPolicy(BaseModel):
    min_length: int


class ResetPreview(BaseModel):
    email: str
    policy: ResetPolicy


class OrganisationSummary(BaseModel):
    """The caller's own organisation (under a grant: the customer's)."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    kind: Literal["controller", "processor", "operator"]
    status: Literal["active", "disabled"]


class OrganisationPage(BaseModel):
    items: list[OrganisationPublic]
    next_cursor: str | None = Field(description="Pass as ``cursor`` for the next page; null: last.")


class OrganisationCreateIn(_In):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["controller", "processor"]
    mfa: Literal["none", "admins", "everyone"] = Field(
        default="admins",
        description="Who must sign in with a second factor; by default the admins (issue 13.2). "
        "The organisation's admins may change it later.",
    )


class AdminInviteIn(_In):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    display_name: str = Field(default="", max_length=200)


class NoticePublic(BaseModel):
    id: UUID
    organisation_id: UUID
    operator_organisation_id: UUID | None = Field(
        description="The operator organisation that sent it (null if its sender is gone)."
    )
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_at: datetime
    grant_ids: list[UUID] = Field(description="Grants approved because this notice covered them.")
    objected_at: datetime | None = Field(
        default=None, description="When the customer's admin objected (it then covers nothing)."
    )
    objection: str | None = Field(default=None, description="The customer's reason to object.")


class NoticePage(BaseModel):
    items: list[NoticePublic]
    next_cursor: str | None = Field(description="Pass as ``cursor`` for the next page; null: last.")
