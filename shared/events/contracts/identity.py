"""Payloads of the events the identity service emits.

None of them carries a password, token, TOTP secret, recovery code or link: ids, kinds and counts
only. The notifier turns the ids into notices and fetches any one-time link from identity itself.
"""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.event_types.identity import (
    ACCOUNT_LOCKED,
    ACCOUNT_UNLOCKED,
    EMAIL_CHANGE_REQUESTED,
    EMAIL_UPDATED,
    FEDERATED_LOGIN_SUCCEEDED,
    GRANT_ACTIVATED,
    GRANT_APPROVED,
    GRANT_CHANGE_DENIED,
    GRANT_DENIED,
    GRANT_EXPIRED,
    GRANT_LISTED,
    GRANT_REQUESTED,
    GRANT_REVOKED,
    IDENTITY_GRANT_USE_DENIED,
    IDENTITY_RETENTION_EXPIRED,
    IDP_CONNECTED,
    IDP_DISCONNECTED,
    INVITATION_ACCEPTED,
    LINK_ISSUED,
    LINK_VIEWED,
    LOGIN_FAILED,
    LOGIN_SUCCEEDED,
    MAINTENANCE_NOTICE_CHANGE_DENIED,
    MAINTENANCE_NOTICE_LISTED,
    MAINTENANCE_NOTICE_OBJECTED,
    MAINTENANCE_NOTICE_SENT,
    MFA_ENROLLED,
    MFA_RESET,
    ORGANISATION_ANNOUNCED,
    ORGANISATION_CHANGE_DENIED,
    ORGANISATION_CREATED,
    ORGANISATION_DISABLED,
    ORGANISATION_ENABLED,
    ORGANISATION_LISTED,
    ORGANISATION_UPDATED,
    ORGANISATION_VIEW_DENIED,
    ORGANISATION_VIEWED,
    PASSKEY_CHANGE_DENIED,
    PASSKEY_LISTED,
    PASSKEY_REGISTERED,
    PASSKEY_REMOVED,
    PASSKEY_UPDATED,
    PASSWORD_RESET,
    PASSWORD_RESET_REQUESTED,
    PASSWORD_UPDATED,
    POLICY_UPDATED,
    POLICY_VIEWED,
    RECOVERY_CODE_ISSUED,
    SESSION_CHANGE_DENIED,
    SESSION_LISTED,
    SESSION_REVOKED,
    SESSION_UPDATED,
    SESSION_VERIFIED,
    SIGNING_KEY_CREATED,
    SIGNING_KEY_REVOKED,
    USER_CHANGE_DENIED,
    USER_DISABLED,
    USER_ENABLED,
    USER_INVITED,
    USER_LISTED,
    USER_REMOVED,
    USER_ROLE_UPDATED,
    USER_VIEW_DENIED,
    USER_VIEWED,
)
from shared.events.kind import EventKind


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


ORGANISATION_NAME = Field(
    max_length=200, description="The organisation's name (an organisation's, never a person's)."
)


class OrganisationCreated(_Payload):
    organisation_id: UUID
    kind: Literal["controller", "processor", "operator"]
    # Optional: events from before the name was added stay valid (they remain in the stream).
    name: str | None = Field(
        default=None,
        max_length=200,
        description="The organisation's name; absent in events from before it was carried.",
    )


class OrganisationRenamed(_Payload):
    """An operator renamed an organisation (``organisation.updated``; the name is all that an
    operator changes of an organisation)."""

    organisation_id: UUID
    name: str = ORGANISATION_NAME


class OrganisationStatusChanged(_Payload):
    """An organisation was disabled (its contract ended) or enabled again."""

    organisation_id: UUID


class OrganisationAnnounced(_Payload):
    """What identity knows of an organisation now, re-stated on an operator's request so that a
    consumer that starts empty learns organisations created long ago. Not a creation."""

    organisation_id: UUID
    kind: Literal["controller", "processor", "operator"]
    name: str = ORGANISATION_NAME
    status: Literal["active", "disabled"]


class PolicyUpdated(_Payload):
    organisation_id: UUID
    changed: list[str] = Field(description="The names of the settings that changed.")


class PolicyViewed(_Payload):
    organisation_id: UUID


class UserInvited(_Payload):
    user_id: UUID
    invitation_id: UUID = Field(description="The notifier fetches the link for this id.")
    role: str
    reissued: bool = False
    delivered_by: Literal["mail", "operator"] = Field(
        default="mail",
        description="operator: the operator's command handed the link over; nothing to mail.",
    )


class InvitationAccepted(_Payload):
    user_id: UUID


class UserStatusChanged(_Payload):
    user_id: UUID
    sessions_revoked: int = 0


class UserRoleUpdated(_Payload):
    user_id: UUID
    old_role: str
    new_role: str


class UserViewed(_Payload):
    user_id: UUID
    fields: list[str]


class UsersListed(_Payload):
    user_ids: list[UUID]


class LinkIssued(_Payload):
    """A one-time link was handed to the notifier for delivery (the link itself is not here)."""

    link_id: UUID
    user_id: UUID
    purpose: Literal["invitation", "password_reset", "email_change"]


class LoginSucceeded(_Payload):
    user_id: UUID
    session_id: UUID
    methods: list[str] = Field(description="Authentication methods (amr), e.g. pwd, otp.")
    new_device: bool = Field(
        default=False,
        description="Signed in from a browser and network this account never used before (not "
        "on its first sign-in); the notifier tells the user. Absent in events from before.",
    )


class LoginFailed(_Payload):
    user_id: UUID | None = Field(default=None, description="None when no such account exists.")
    reason: Literal[
        "credentials", "locked", "disabled", "unknown", "second_factor", "throttled", "federation"
    ] = Field(description="federation: a sign-in at the organisation's own provider failed.")
    failures: int = 0


class AccountLocked(_Payload):
    user_id: UUID
    until: str | None = Field(description="RFC 3339 end of the lock; None when permanent.")
    lock_number: int
    permanent: bool


class AccountUnlocked(_Payload):
    user_id: UUID
    by: Literal["admin", "password_reset"]


class MfaEnrolled(_Payload):
    user_id: UUID
    method: Literal["totp"]


class PasskeyRegistered(_Payload):
    """A user registered a passkey (its public key only; the name is the user's own label)."""

    user_id: UUID
    passkey_id: UUID
    backup_eligible: bool = Field(description="The passkey can be synced to other devices.")
    backed_up: bool = Field(description="The passkey is synced (lives beyond this device).")
    aaguid: str = Field(max_length=36, description="The authenticator model (all zeros: unsaid).")


class PasskeyChanged(_Payload):
    """A passkey was renamed (``passkey.updated``) or removed (``passkey.removed``)."""

    user_id: UUID
    passkey_id: UUID


class PasskeysListed(_Payload):
    user_id: UUID
    passkey_ids: list[UUID]


class IdpConnected(_Payload):
    """An admin connected the organisation's own OpenID Provider (or changed it). The client
    secret is never carried; ``secret_changed`` says whether a new one was given."""

    provider_id: UUID
    issuer: str = Field(max_length=500)
    client_id: str = Field(max_length=500)
    email_claim: str = Field(max_length=100)
    allowed_domains: list[str]
    just_in_time: bool = Field(description="People the provider vouches for get an account.")
    mfa_acr: list[str] = Field(description="acr values that count as multi-factor.")
    mfa_amr: list[str] = Field(description="amr values that count as multi-factor.")
    secret_changed: bool


class IdpDisconnected(_Payload):
    provider_id: UUID
    issuer: str = Field(max_length=500)


class FederatedSignIn(_Payload):
    """The organisation's provider vouched for a user (its ID token verified). ``session_id`` is
    None when a second factor here is still due (its login.succeeded follows)."""

    user_id: UUID
    provider_id: UUID
    session_id: UUID | None
    provisioned: bool = Field(description="The account was created just in time (member).")
    counted_as_mfa: bool = Field(description="The provider's acr/amr counted as multi-factor.")
    acr: str | None = Field(default=None, max_length=200)


class MfaReset(_Payload):
    user_id: UUID


class RecoveryCodesIssued(_Payload):
    user_id: UUID
    count: int
    renewed: bool = Field(
        default=False,
        description="A new set replaced the old one on the user's request (not a first set); "
        "absent in events from before it was carried.",
    )


class PasswordChanged(_Payload):
    user_id: UUID
    other_sessions_revoked: int


class EmailChangeRequested(_Payload):
    """A user asked, in a recently authenticated session, to sign in with another address; the
    notifier delivers the link to the new address and tells the current one. No address here."""

    user_id: UUID
    link_id: UUID | None = Field(
        default=None,
        description="The link the notifier delivers to the new address; absent (outcome failed) "
        "when the address cannot be used, which the caller is not told.",
    )


class EmailChanged(_Payload):
    """The link sent to the new address was used: the account signs in with it from now on. The
    notifier tells the new address and the former one (read through ``change_id``)."""

    user_id: UUID
    change_id: UUID


class PasswordResetRequested(_Payload):
    user_id: UUID | None = None
    link_id: UUID | None = None
    by: Literal["self", "admin"]
    throttled: Literal["account", "address"] | None = Field(
        default=None,
        description="Refused (outcome failed, no link) because the account or the client "
        "address asked too often in the window; absent otherwise.",
    )


class PasswordReset(_Payload):
    user_id: UUID
    sessions_revoked: int


class SessionRevoked(_Payload):
    """Other services drop these sessions at once (shared/revocation.py)."""

    user_id: UUID
    session_ids: list[UUID]
    reason: Literal[
        "logout",
        "user_disabled",
        "user_removed",
        "password_changed",
        "password_reset",
        "refresh_token_reused",
        "organisation_disabled",
        "admin",
        "role_changed",
        "mfa_reset",
        "idle",
    ]


class SessionsListed(_Payload):
    user_id: UUID
    session_ids: list[UUID]


class SessionVerified(_Payload):
    """A user proved themselves again within a session (step-up) before a sensitive change."""

    user_id: UUID
    session_id: UUID
    methods: list[str] = Field(description="The methods proven again (amr), e.g. pwd, otp.")


class SessionRefreshed(_Payload):
    user_id: UUID
    session_id: UUID


class GrantRequested(_Payload):
    grant_id: UUID
    organisation_id: UUID
    operator_id: UUID
    access: Literal["read", "change"]
    minutes: int
    reason: str = Field(max_length=500, description="The operator's stated reason (no data).")


class GrantDecided(_Payload):
    grant_id: UUID
    operator_id: UUID
    expires_at: str | None = None
    covered_by_notice: UUID | None = None


class GrantUsed(_Payload):
    grant_id: UUID
    session_id: UUID


class GrantUseRefused(_Payload):
    """An operator's token under a grant was refused because the grant ended (TOM-T3c, TOM-O3):
    filed in the customer's log by the service that refused it, at most once a minute per grant
    and service. Names the grant and the kind of request, never what was asked for."""

    grant_id: UUID = Field(description="The grant the refused token was issued under.")
    reason: Literal["revoked", "expired", "not_approved"] = Field(
        description="Why the grant no longer holds: revoked by the customer, past its end, or "
        "never approved (asked for a token under a pending or denied grant)."
    )
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] = Field(
        description="The HTTP method of the refused request: a read or an attempted change."
    )


def grant_use_refused(type: str) -> EventKind:
    """The kind each service files when it refuses a token under a grant that ended."""
    return EventKind(
        type=type,
        payload=GrantUseRefused,
        requirements=("TOM-T3c", "TOM-O3"),
        summary="An operator tried to use an access grant that had ended and was refused.",
    )


class RecordAccessRefused(_Payload):
    """Someone asked identity for a record of another organisation (a user, an organisation, a
    grant, a maintenance notice, a passkey, a session) and got the answer anyone gets who may
    not see it: a 404 as for a record that does not exist, or the operator's routes' 403
    (TOM-T3c). Filed in the log of the organisation the record belongs to, at most once a minute
    per actor and record. Names the record, never what was sent."""

    record_id: UUID = Field(description="The record that was asked for; the type names its kind.")
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] = Field(
        description="The HTTP method of the refused request: a read or an attempted change."
    )
    status: Literal[403, 404] = Field(description="The answer the caller got (always generic).")


RefusedRecord = Literal["user", "organisation", "grant", "maintenance_notice", "passkey", "session"]
Attempt = Literal["view", "change"]

# A refused request for another organisation's record, by record and what it tried (TOM-T3c).
# Only what a route can be refused: a record with no route that reads it has no view kind.
ACCESS_REFUSED: dict[tuple[RefusedRecord, Attempt], str] = {
    ("user", "view"): USER_VIEW_DENIED,
    ("user", "change"): USER_CHANGE_DENIED,
    ("organisation", "view"): ORGANISATION_VIEW_DENIED,
    ("organisation", "change"): ORGANISATION_CHANGE_DENIED,
    ("grant", "change"): GRANT_CHANGE_DENIED,
    ("maintenance_notice", "change"): MAINTENANCE_NOTICE_CHANGE_DENIED,
    ("passkey", "change"): PASSKEY_CHANGE_DENIED,
    ("session", "change"): SESSION_CHANGE_DENIED,
}
_REFUSED_SUMMARIES = {
    USER_VIEW_DENIED: "Someone of another organisation tried to read a user and was refused.",
    USER_CHANGE_DENIED: "Someone of another organisation tried to change a user and was refused.",
    ORGANISATION_VIEW_DENIED: (
        "Someone of another organisation tried to read an organisation and was refused."
    ),
    ORGANISATION_CHANGE_DENIED: (
        "Someone of another organisation tried to change an organisation and was refused."
    ),
    GRANT_CHANGE_DENIED: (
        "Someone of another organisation tried to decide on a supplier access grant and was "
        "refused."
    ),
    MAINTENANCE_NOTICE_CHANGE_DENIED: (
        "Someone of another organisation tried to object to a maintenance notice and was refused."
    ),
    PASSKEY_CHANGE_DENIED: (
        "Someone of another organisation tried to change a user's passkey and was refused."
    ),
    SESSION_CHANGE_DENIED: (
        "Someone of another organisation tried to end a user's session and was refused."
    ),
}


class GrantsListed(_Payload):
    grant_ids: list[UUID]


class MaintenanceNoticeSent(_Payload):
    notice_id: UUID
    organisation_id: UUID
    starts_at: str
    ends_at: str


class MaintenanceNoticeObjected(_Payload):
    """The customer's admin objected to a maintenance notice: it covers nothing from now on, and
    the grants it covered ended (each with its own ``grant.revoked``)."""

    notice_id: UUID
    organisation_id: UUID
    reason: str = Field(max_length=500, description="The customer's stated reason (no data).")
    grant_ids: list[UUID] = Field(description="The grants the objection ended.")


class SigningKeyCreated(_Payload):
    key_id: str


class ClientAddressesForgotten(_Payload):
    """Failed sign-ins' client addresses past their retention were deleted (TOM-T1, TOM-32a):
    a count, never an address."""

    record: Literal["client_failure"] = Field(
        description="What was deleted: the counts of failed sign-ins and reset requests per "
        "client address and window (the lockout's per-address throttle, TOM-T5)."
    )
    deleted: int = Field(ge=0, description="How many records were deleted.")
    before: datetime = Field(
        description="Records of windows that ended before this moment were deleted (the "
        "retention period, TOM-T1)."
    )


class SigningKeyRevoked(_Payload):
    """An operator revoked a token signing key at once (it leaked, or may have): every service
    stops accepting tokens it signed as soon as this event reaches it."""

    key_id: str = Field(description="The revoked key's id (its RFC 7638 thumbprint).")
    replaced_by: str = Field(description="The id of the key that signs tokens from now on.")


class LinkViewed(_Payload):
    """Someone holding a one-time link looked at what it is for, without using it (the link
    itself is not here)."""

    link_id: UUID
    user_id: UUID
    purpose: Literal["invitation", "password_reset"]
    fields: list[str] = Field(description="The names of the fields shown (never their values).")


class OrganisationViewed(_Payload):
    organisation_id: UUID


class OrganisationsListed(_Payload):
    organisation_ids: list[UUID]


class MaintenanceNoticesListed(_Payload):
    notice_ids: list[UUID]


def _kind(
    type: str, payload: type[BaseModel], requirements: tuple[str, ...], summary: str
) -> EventKind:
    return EventKind(type=type, payload=payload, requirements=requirements, summary=summary)


KINDS: tuple[EventKind, ...] = (
    _kind(
        ORGANISATION_CREATED,
        OrganisationCreated,
        ("TOM-T2a", "USE-1"),
        "An organisation was created by an operator.",
    ),
    _kind(
        ORGANISATION_UPDATED,
        OrganisationRenamed,
        ("USE-1",),
        "An operator renamed an organisation.",
    ),
    _kind(
        ORGANISATION_DISABLED,
        OrganisationStatusChanged,
        ("USE-1", "TOM-T2a"),
        "An operator disabled an organisation (its contract ended): it enters no new agreement.",
    ),
    _kind(
        ORGANISATION_ENABLED,
        OrganisationStatusChanged,
        ("USE-1", "TOM-T2a"),
        "An operator enabled a disabled organisation again.",
    ),
    _kind(
        ORGANISATION_ANNOUNCED,
        OrganisationAnnounced,
        ("USE-1",),
        "Identity re-stated an existing organisation (id, kind, name, status) on an operator's "
        "request, for services that must learn organisations created before they started.",
    ),
    _kind(
        POLICY_UPDATED,
        PolicyUpdated,
        ("TOM-T2c", "TOM-T5"),
        "An organisation's password, MFA or lockout policy changed.",
    ),
    _kind(
        POLICY_VIEWED,
        PolicyViewed,
        ("TOM-T3a",),
        "An organisation's security policy was read.",
    ),
    _kind(
        USER_INVITED,
        UserInvited,
        ("TOM-T2a", "TOM-T2c"),
        "A user was invited; the notifier delivers the invitation link.",
    ),
    _kind(
        INVITATION_ACCEPTED,
        InvitationAccepted,
        ("TOM-T2a", "TOM-T2c"),
        "An invited user chose their own password.",
    ),
    _kind(
        USER_DISABLED,
        UserStatusChanged,
        ("TOM-T2a",),
        "A user was disabled; their sessions ended.",
    ),
    _kind(
        USER_ENABLED,
        UserStatusChanged,
        ("TOM-T2a",),
        "A disabled user was re-enabled.",
    ),
    _kind(
        USER_REMOVED,
        UserStatusChanged,
        ("TOM-T2a",),
        "A user was removed from the organisation.",
    ),
    _kind(
        USER_ROLE_UPDATED,
        UserRoleUpdated,
        ("TOM-T2a", "TOM-T2e"),
        "A user's role changed.",
    ),
    _kind(USER_VIEWED, UserViewed, ("TOM-T3a",), "A user's record was read."),
    _kind(
        USER_LISTED,
        UsersListed,
        ("TOM-T3a",),
        "An organisation's user list was read.",
    ),
    _kind(
        LINK_ISSUED,
        LinkIssued,
        ("TOM-T2c", "TOM-T2d"),
        "A one-time link was handed to the notifier for delivery.",
    ),
    _kind(
        LOGIN_SUCCEEDED,
        LoginSucceeded,
        ("TOM-T3a", "TOM-T2b"),
        "A user logged in; a session started.",
    ),
    _kind(
        LOGIN_FAILED,
        LoginFailed,
        ("TOM-T5", "TOM-T3a"),
        "A login attempt failed (the caller saw a generic error).",
    ),
    _kind(
        ACCOUNT_LOCKED,
        AccountLocked,
        ("TOM-T5",),
        "An account was locked after repeated failures; user and admins are notified.",
    ),
    _kind(
        ACCOUNT_UNLOCKED,
        AccountUnlocked,
        ("TOM-T5",),
        "A locked account was released.",
    ),
    _kind(
        MFA_ENROLLED,
        MfaEnrolled,
        ("TOM-T2b",),
        "A user confirmed a second factor.",
    ),
    _kind(
        PASSKEY_REGISTERED,
        PasskeyRegistered,
        ("TOM-T2b",),
        "A user registered a passkey; the user is notified at their verified address.",
    ),
    _kind(
        PASSKEY_UPDATED,
        PasskeyChanged,
        ("TOM-T2b",),
        "A user renamed one of their passkeys.",
    ),
    _kind(
        PASSKEY_REMOVED,
        PasskeyChanged,
        ("TOM-T2b",),
        "A user removed one of their passkeys; the user is notified at their verified address.",
    ),
    _kind(
        PASSKEY_LISTED,
        PasskeysListed,
        ("TOM-T3a",),
        "A user read the list of their own passkeys.",
    ),
    _kind(
        IDP_CONNECTED,
        IdpConnected,
        ("TOM-T2a", "TOM-T2b"),
        "An admin connected the organisation's own identity provider or changed its settings.",
    ),
    _kind(
        IDP_DISCONNECTED,
        IdpDisconnected,
        ("TOM-T2a",),
        "An admin disconnected the organisation's own identity provider.",
    ),
    _kind(
        FEDERATED_LOGIN_SUCCEEDED,
        FederatedSignIn,
        ("TOM-T3a", "TOM-T2b"),
        "A user signed in through the organisation's own identity provider.",
    ),
    _kind(
        MFA_RESET,
        MfaReset,
        ("TOM-T2b", "TOM-T2a"),
        "An admin removed a user's second factor.",
    ),
    _kind(
        RECOVERY_CODE_ISSUED,
        RecoveryCodesIssued,
        ("TOM-T2b",),
        "Single-use recovery codes were issued (stored hashed).",
    ),
    _kind(
        PASSWORD_UPDATED,
        PasswordChanged,
        ("TOM-T2c",),
        "A user changed their own password.",
    ),
    _kind(
        EMAIL_CHANGE_REQUESTED,
        EmailChangeRequested,
        ("TOM-T2a", "TOM-T2b"),
        "A user asked to sign in with another e-mail address; a link went to that address.",
    ),
    _kind(
        EMAIL_UPDATED,
        EmailChanged,
        ("TOM-T2a", "TOM-T2b"),
        "A user's sign-in e-mail address changed; the new and the former address were told.",
    ),
    _kind(
        PASSWORD_RESET_REQUESTED,
        PasswordResetRequested,
        ("TOM-T2d",),
        "A password reset was requested; the notifier delivers the link.",
    ),
    _kind(
        PASSWORD_RESET,
        PasswordReset,
        ("TOM-T2d",),
        "A password was reset through a one-time link; all sessions ended.",
    ),
    _kind(
        SESSION_REVOKED,
        SessionRevoked,
        ("TOM-T5", "TOM-T2a"),
        "Sessions ended; every service rejects their tokens from now on.",
    ),
    _kind(
        SESSION_LISTED,
        SessionsListed,
        ("TOM-T3a",),
        "A user read the list of their own live sessions.",
    ),
    _kind(
        SESSION_VERIFIED,
        SessionVerified,
        ("TOM-T2b", "TOM-T3a"),
        "A user proved themselves again in a session (step-up) before a sensitive change.",
    ),
    _kind(
        SESSION_UPDATED,
        SessionRefreshed,
        ("TOM-T3a",),
        "A session's refresh token rotated.",
    ),
    _kind(
        GRANT_REQUESTED,
        GrantRequested,
        ("TOM-O3", "TOM-T3c"),
        "An operator asked a customer for time-boxed access to its data.",
    ),
    _kind(
        GRANT_APPROVED,
        GrantDecided,
        ("TOM-O3", "TOM-T3c"),
        "A customer approved a supplier access grant (or a maintenance notice covered it).",
    ),
    _kind(
        GRANT_DENIED,
        GrantDecided,
        ("TOM-O3", "TOM-T3c"),
        "A customer denied a supplier access grant.",
    ),
    _kind(
        GRANT_REVOKED,
        GrantDecided,
        ("TOM-O3", "TOM-T3c"),
        "A customer revoked a supplier access grant; tokens under it are refused.",
    ),
    _kind(
        GRANT_EXPIRED,
        GrantDecided,
        ("TOM-O3", "TOM-T3c"),
        "A supplier access grant reached its end.",
    ),
    _kind(
        GRANT_ACTIVATED,
        GrantUsed,
        ("TOM-O3", "TOM-T3c"),
        "An operator took a token under a grant (a supplier intervention starts).",
    ),
    grant_use_refused(IDENTITY_GRANT_USE_DENIED),
    *(
        _kind(event_type, RecordAccessRefused, ("TOM-T3c", "TOM-T3a"), summary)
        for event_type, summary in _REFUSED_SUMMARIES.items()
    ),
    _kind(
        GRANT_LISTED,
        GrantsListed,
        ("TOM-T3a", "TOM-T3c"),
        "Supplier access grants were read.",
    ),
    _kind(
        MAINTENANCE_NOTICE_SENT,
        MaintenanceNoticeSent,
        ("TOM-O3",),
        "The operator announced a maintenance window to a customer.",
    ),
    _kind(
        MAINTENANCE_NOTICE_OBJECTED,
        MaintenanceNoticeObjected,
        ("TOM-O3", "TOM-T3c"),
        "A customer's admin objected to a maintenance notice; the grants it covered ended.",
    ),
    _kind(
        SIGNING_KEY_CREATED,
        SigningKeyCreated,
        ("TOM-T10",),
        "A token signing key was created (rotation).",
    ),
    _kind(
        IDENTITY_RETENTION_EXPIRED,
        ClientAddressesForgotten,
        ("TOM-T1", "TOM-32a"),
        "Failed sign-ins' client addresses past their retention period were deleted.",
    ),
    _kind(
        SIGNING_KEY_REVOKED,
        SigningKeyRevoked,
        ("TOM-T10", "TOM-32b"),
        "A token signing key was revoked at once; tokens it signed are refused everywhere.",
    ),
    _kind(
        LINK_VIEWED,
        LinkViewed,
        ("TOM-T3a", "TOM-T2c", "TOM-T2d"),
        "An invitation or reset link was previewed by its holder (not used).",
    ),
    _kind(
        ORGANISATION_VIEWED,
        OrganisationViewed,
        ("TOM-T3a",),
        "An organisation's record (id, name, kind, status) was read.",
    ),
    _kind(
        ORGANISATION_LISTED,
        OrganisationsListed,
        ("TOM-T3a", "USE-1"),
        "The operator read a page of the list of organisations.",
    ),
    _kind(
        MAINTENANCE_NOTICE_LISTED,
        MaintenanceNoticesListed,
        ("TOM-T3a", "TOM-O3"),
        "Maintenance notices were read (by the customer they were sent to, or the operator).",
    ),
)
