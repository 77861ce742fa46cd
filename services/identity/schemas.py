"""Request and response bodies of the identity API. Inputs refuse unknown fields."""

from datetime import datetime
from typing import Annotated, Any, Literal
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
    email: str = Field(min_length=3, max_length=254, description="The account's email address.")
    password: Annotated[str, Password] = Field(description="The account's password.")


class SecondFactorIn(_In):
    challenge: Annotated[str, Secret] = Field(description="The challenge POST /login answered.")
    code: str | None = Field(
        default=None,
        pattern=r"^[0-9]{6}$",
        description="A six-digit code from the authenticator app; or recovery_code.",
    )
    recovery_code: str | None = Field(
        default=None,
        min_length=8,
        max_length=40,
        description="One of the recovery codes, used once; or code.",
    )


class EnrolmentIn(_In):
    challenge: Annotated[str, Secret] = Field(description="The challenge POST /login answered.")
    code: str | None = Field(
        default=None,
        pattern=r"^[0-9]{6}$",
        description="A six-digit code from the app being enrolled; absent to start.",
    )


class RefreshIn(_In):
    refresh_token: Annotated[str, Secret] = Field(
        description="The refresh token of the session to renew."
    )


class TokensOut(BaseModel):
    access_token: str = Field(description="A bearer token for the APIs (a JWT).")
    token_type: Literal["Bearer"] = Field(default="Bearer", description="Always Bearer.")
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str = Field(description="Renews the session at POST /refresh; rotates on use.")
    session_id: UUID = Field(description="The session's id.")
    methods: list[str] = Field(description="How the user authenticated (amr): pwd, otp, hwk ...")
    recovery_codes: list[str] | None = Field(
        default=None, description="With a first second factor: ten codes, shown this once."
    )


class SessionPublic(BaseModel):
    id: UUID = Field(description="The session's id.")
    methods: list[str] = Field(description="How the user authenticated (amr).")
    created_at: datetime = Field(description="When the session started.")
    expires_at: datetime = Field(description="When it ends at the latest.")
    current: bool = Field(description="Whether it is the session of this request.")


class SessionList(BaseModel):
    items: list[SessionPublic] = Field(description="Your sessions, newest first.")


class ChallengeOut(BaseModel):
    challenge: str = Field(description="Pass to the next step; valid a few minutes.")
    next: Literal["second_factor", "enrol_second_factor"] = Field(
        description="second_factor, or enrol_second_factor when one is required."
    )
    methods: list[str] = Field(description="What the user proved so far (amr).")
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

    id: UUID = Field(description="The passkey's id.")
    name: str = Field(description="The owner's name for it.")
    created_at: datetime = Field(description="When it was registered.")
    last_used_at: datetime | None = Field(description="When it last signed in; else null.")
    backup_eligible: bool = Field(description="Can be synced to the owner's other devices.")
    backed_up: bool = Field(description="Is synced: it lives beyond one device.")


class PasskeyList(BaseModel):
    items: list[PasskeyPublic] = Field(description="Your passkeys, oldest first.")


class PasskeyRegisteredOut(BaseModel):
    passkey: PasskeyPublic = Field(description="The passkey registered.")
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
    challenge: str | None = Field(
        default=None,
        min_length=16,
        max_length=200,
        description="The login challenge after a password; absent: passwordless.",
    )
    credential: dict[str, Any] = Credential


class StepUpIn(_In):
    password: Annotated[str, Password] = Field(description="Your password.")
    code: str | None = Field(
        default=None,
        pattern=r"^[0-9]{6}$",
        description="A six-digit code from your authenticator app.",
    )
    recovery_code: str | None = Field(
        default=None,
        min_length=8,
        max_length=40,
        description="One of your recovery codes, used once.",
    )
    credential: dict[str, Any] | None = Field(
        default=None, description="A passkey's answer to /me/step-up/options."
    )


class StepUpOut(BaseModel):
    methods: list[str] = Field(description="What was proven again (amr).")
    valid_minutes: int = Field(description="How long the session now counts as recent.")


class PasskeyEnrolOptionsIn(_In):
    challenge: Annotated[str, Secret] = Field(description="The challenge POST /login answered.")


class PasskeyEnrolIn(_In):
    challenge: Annotated[str, Secret] = Field(description="The challenge POST /login answered.")
    credential: dict[str, Any] = Credential
    name: str = PasskeyName


class EnrolmentOut(BaseModel):
    secret: str = Field(description="The TOTP secret, base32, to type in by hand.")
    otpauth_uri: str = Field(description="The otpauth:// URI an authenticator app takes.")
    qr_svg: str = Field(description="The URI as a QR code, SVG.")


class ConfirmIn(_In):
    code: str = Field(
        pattern=r"^[0-9]{6}$", description="A six-digit code from the app being enrolled."
    )


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str] = Field(description="Ten new recovery codes, shown this once.")


class InvitationAcceptIn(_In):
    token: Annotated[str, Secret] = Field(description="The token of the invitation link.")
    password: Annotated[str, Password] = Field(description="The password you choose.")


class ResetRequestIn(_In):
    email: str = Field(min_length=3, max_length=254, description="The account's email address.")


class ResetCompleteIn(_In):
    token: Annotated[str, Secret] = Field(description="The token of the reset link.")
    password: Annotated[str, Password] = Field(description="The new password.")


class EmailChangeIn(_In):
    email: str = Field(
        min_length=3, max_length=254, description="The address to sign in with from now on."
    )


class EmailConfirmIn(_In):
    token: Annotated[str, Secret] = Field(
        description="The token of the link mailed to the new address."
    )


class PasswordChangeIn(_In):
    current_password: Annotated[str, Password] = Field(description="Your password now.")
    new_password: Annotated[str, Password] = Field(description="The password you choose.")
    end_other_sessions: bool = Field(
        default=False, description="Also sign out every other session."
    )


class InviteIn(_In):
    email: EmailAddress = Field(max_length=254, description="The invitee's email address.")
    role: Literal["admin", "member", "auditor"] = Field(
        default="member", description="admin, member or auditor."
    )
    display_name: Line = Field(
        default="", max_length=200, description="The invitee's name, as shown to colleagues."
    )


class RoleIn(_In):
    role: Literal["admin", "member", "auditor"] = Field(description="admin, member or auditor.")


class UserPublic(BaseModel):
    id: UUID = Field(description="The user's id.")
    organisation_id: UUID = Field(description="The user's organisation.")
    email: str = Field(description="The user's email address.")
    display_name: str = Field(description="The user's name.")
    role: str = Field(
        description="admin, member or auditor (operator in the operator organisation)."
    )
    status: UserStatus = Field(description="invited, active, disabled or removed.")
    mfa_enrolled: bool = Field(description="Whether the user has a second factor.")
    locked: bool = Field(description="Whether sign-in is locked after failed attempts.")
    created_at: datetime = Field(description="When the user was invited or created.")


class UserList(BaseModel):
    items: list[UserPublic] = Field(description="The users on this page.")
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class PolicyPublic(BaseModel):
    min_length: int = Field(description="The minimum password length.")
    password_history: int = Field(description="How many earlier passwords may not be reused.")
    mfa: MfaRequirement = Field(description="Who needs a second factor: none, admins or everyone.")
    lock_threshold: int = Field(description="Failed sign-ins before the account locks.")
    lock_minutes: list[int] = Field(description="How long each successive lock lasts, in minutes.")
    permanent_after: int | None = Field(
        description="Locks after which the lock is permanent; null: never."
    )
    phishing_resistant_admins: bool = Field(
        description="An admin's second factor must be a passkey (a code can be phished)."
    )
    passwordless: bool = Field(description="A passkey may sign in without the password.")
    session_idle_minutes: int = Field(
        description="A session unused this long ends (within its absolute lifetime)."
    )


class PolicyUpdate(_In):
    min_length: int | None = Field(
        default=None, ge=8, le=64, description="The minimum password length; absent: unchanged."
    )
    password_history: int | None = Field(
        default=None, ge=0, le=24, description="Earlier passwords not to reuse; absent: unchanged."
    )
    mfa: MfaRequirement | None = Field(
        default=None, description="none, admins or everyone; absent: unchanged."
    )
    lock_threshold: int | None = Field(
        default=None, ge=3, le=100, description="Failed sign-ins before a lock; absent: unchanged."
    )
    lock_minutes: list[int] | None = Field(
        default=None,
        min_length=1,
        max_length=10,
        description="Each successive lock's minutes; absent: unchanged.",
    )
    permanent_after: int | None = Field(
        default=None,
        ge=1,
        le=50,
        description="Locks before a permanent one; null: never; absent: unchanged.",
    )  # null: never permanent
    phishing_resistant_admins: bool | None = Field(
        default=None, description="Admins need a passkey; absent: unchanged."
    )
    passwordless: bool | None = Field(
        default=None, description="Passkeys sign in without a password; absent: unchanged."
    )
    session_idle_minutes: int | None = Field(
        default=None,
        ge=IDLE_MINUTES_MIN,
        le=IDLE_MINUTES_MAX,
        description="Idle minutes before a session ends; absent: unchanged.",
    )

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
    name: Line = Field(min_length=1, max_length=200, description="The organisation's new name.")


class OrganisationPublic(BaseModel):
    """An organisation as the operator sees it (no policy, no users)."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="The organisation's id.")
    name: str = Field(description="The organisation's name.")
    kind: Literal["controller", "processor", "operator"] = Field(
        description="controller, processor or operator."
    )
    status: Literal["active", "disabled"] = Field(description="active or disabled.")
    created_at: datetime = Field(description="When it was created.")


class AnnouncementOut(BaseModel):
    announced: int = Field(description="How many organisations were announced (one event each).")


class GrantIn(_In):
    organisation_id: UUID = Field(description="The customer organisation to access.")
    reason: str = Field(
        min_length=10, max_length=500, description="Why access is needed, shown to the customer."
    )
    minutes: int = Field(
        ge=5, le=7 * 24 * 60, description="How long the access lasts once approved."
    )
    access: Literal["read", "change"] = Field(default="read", description="read, or change.")


class GrantPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="The grant's id.")
    organisation_id: UUID = Field(description="The customer organisation.")
    operator_id: UUID = Field(description="The operator who asked.")
    operator_organisation_id: UUID = Field(description="The operator's organisation.")
    access: str = Field(description="read or change.")
    reason: str = Field(description="Why access is needed.")
    minutes: int = Field(description="How long the access lasts once approved.")
    status: GrantStatus = Field(description="requested, approved, denied, revoked or expired.")
    requested_at: datetime = Field(description="When it was asked for.")
    decided_at: datetime | None = Field(description="When the customer decided; else null.")
    expires_at: datetime | None = Field(description="When approved access ends; else null.")
    notice_id: UUID | None = Field(
        description="The maintenance notice that approved it; else null."
    )


class GrantList(BaseModel):
    items: list[GrantPublic] = Field(description="The grants on this page, newest first.")
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class GrantTokenOut(BaseModel):
    access_token: str = Field(description="A bearer token scoped to the grant.")
    token_type: Literal["Bearer"] = Field(default="Bearer", description="Always Bearer.")
    grant: GrantPublic = Field(description="The grant the token is for.")


class NoticeIn(_In):
    organisation_id: UUID = Field(description="The customer organisation told.")
    starts_at: datetime = Field(description="When the maintenance starts.")
    ends_at: datetime = Field(description="When it ends.")
    reason: str = Field(
        min_length=10, max_length=500, description="What is done and why, shown to the customer."
    )


class NoticeOut(BaseModel):
    id: UUID = Field(description="The notice's id.")
    organisation_id: UUID = Field(description="The customer organisation told.")
    starts_at: datetime = Field(description="When the maintenance starts.")
    ends_at: datetime = Field(description="When it ends.")


class ObjectionIn(_In):
    reason: str = Field(min_length=10, max_length=500, description="Why the customer objects.")


class ObjectionOut(BaseModel):
    notice_id: UUID = Field(description="The notice objected to.")
    organisation_id: UUID = Field(description="The customer organisation.")
    objected_at: datetime = Field(description="When the customer objected.")
    reason: str = Field(description="Why it objected.")
    ended_grant_ids: list[UUID] = Field(description="The grants under the notice that ended now.")


class DeliveryOut(BaseModel):
    """What the notifier needs to deliver a one-time link; the URL is in this answer only."""

    link_id: UUID = Field(description="The one-time link's id.")
    purpose: str = Field(description="invitation or reset.")
    url: str = Field(description="The link, with its token: send it, never log it.")
    user_id: UUID = Field(description="The user it is for.")
    organisation_id: UUID = Field(description="The user's organisation.")
    email: str = Field(description="The address it goes to.")
    expires_at: datetime = Field(description="When the link stops working.")
    replaces_earlier: bool = Field(
        default=False,
        description="This fetch minted the link again: the URL sent before no longer works (the "
        "mail says so).",
    )
    display_name: str | None = Field(
        default=None, description="An invitation: the invited person's name, if given."
    )
    role: str | None = Field(default=None, description="An invitation: the role invited to.")
    organisation_name: str | None = Field(
        default=None, description="An invitation: the organisation the person is invited to."
    )
    invited_by: str | None = Field(
        default=None,
        description="An invitation: who invited the person, by name (or address if they gave no "
        "name); null if unknown (the operator's command).",
    )
    invited_by_organisation: str | None = Field(
        default=None, description="An invitation: the organisation of who invited the person."
    )


class Accepted(BaseModel):
    detail: str = Field(description="What happens next, in words.")


class LinkInspectIn(_In):
    token: Annotated[str, Secret] = Field(description="The token of the one-time link.")


class InvitationPolicy(BaseModel):
    min_length: int = Field(description="The minimum password length.")
    mfa: MfaRequirement = Field(description="Who needs a second factor: none, admins or everyone.")


class InvitationPreview(BaseModel):
    """What an invitation link is for, shown before the invited user chooses a password."""

    email: str = Field(description="The invitee's address.")
    display_name: str = Field(description="The invitee's name.")
    organisation_name: str = Field(description="The organisation invited to.")
    organisation_kind: Literal["controller", "processor", "operator"] = Field(
        description="controller, processor or operator."
    )
    invited_by_name: str | None = Field(description="The inviter's name; null if unknown.")
    expires_at: datetime = Field(description="When the invitation expires.")
    policy: InvitationPolicy = Field(description="The password rules to meet.")


class ResetPolicy(BaseModel):
    min_length: int = Field(description="The minimum password length.")


class ResetPreview(BaseModel):
    email: str = Field(description="The account's address.")
    policy: ResetPolicy = Field(description="The password rules to meet.")


class OrganisationSummary(BaseModel):
    """The caller's own organisation (under a grant: the customer's)."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="The organisation's id.")
    name: str = Field(description="The organisation's name.")
    kind: Literal["controller", "processor", "operator"] = Field(
        description="controller, processor or operator."
    )
    status: Literal["active", "disabled"] = Field(description="active or disabled.")


class OrganisationPage(BaseModel):
    items: list[OrganisationPublic] = Field(description="The organisations on this page.")
    next_cursor: str | None = Field(description="Pass as ``cursor`` for the next page; null: last.")


class OrganisationCreateIn(_In):
    name: str = Field(min_length=1, max_length=200, description="The organisation's name.")
    kind: Literal["controller", "processor"] = Field(description="controller or processor.")
    mfa: Literal["none", "admins", "everyone"] = Field(
        default="admins",
        description="Who must sign in with a second factor; by default the admins (issue 13.2). "
        "The organisation's admins may change it later.",
    )


class AdminInviteIn(_In):
    email: str = Field(
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        max_length=254,
        description="The first admin's email address.",
    )
    display_name: str = Field(default="", max_length=200, description="The first admin's name.")


class NoticePublic(BaseModel):
    id: UUID = Field(description="The notice's id.")
    organisation_id: UUID = Field(description="The customer organisation told.")
    operator_organisation_id: UUID | None = Field(
        description="The operator organisation that sent it (null if its sender is gone)."
    )
    starts_at: datetime = Field(description="When the maintenance starts.")
    ends_at: datetime = Field(description="When it ends.")
    reason: str = Field(description="What is done and why.")
    created_at: datetime = Field(description="When the notice was sent.")
    grant_ids: list[UUID] = Field(description="Grants approved because this notice covered them.")
    objected_at: datetime | None = Field(
        default=None, description="When the customer's admin objected (it then covers nothing)."
    )
    objection: str | None = Field(default=None, description="The customer's reason to object.")


class NoticePage(BaseModel):
    items: list[NoticePublic] = Field(description="The notices on this page.")
    next_cursor: str | None = Field(description="Pass as ``cursor`` for the next page; null: last.")
