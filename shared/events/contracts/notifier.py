"""Payloads of the events the notifier service emits: the evidence of who was told what, when.

Payloads name contacts, endpoints, deliveries and the events they answer by id; never an address,
a URL's secret, a webhook secret, a one-time link or the text of a notice (TOM-O4).
"""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.event_types.notifier import (
    CONTACT_CREATED,
    CONTACT_DELETED,
    DELIVERY_DELIVERED,
    DELIVERY_FAILED,
    DELIVERY_REQUESTED,
    ENDPOINT_CREATED,
    ENDPOINT_DELETED,
    ENDPOINT_DISABLED,
    ENDPOINT_UPDATED,
    INBOX_ITEM_UPDATED,
    NOTICE_ACKNOWLEDGED,
    NOTICE_FAILED,
    NOTICE_ISSUED,
    NOTIFIER_GRANT_USE_DENIED,
    NOTIFIER_RETENTION_EXPIRED,
    ORGANISATION_SETTINGS_UPDATED,
    PREFERENCE_UPDATED,
    RECEIPT_LISTED,
    RECIPIENT_LISTED,
)
from shared.events.contracts.identity import grant_use_refused
from shared.events.kind import EventKind

Channel = Literal["email", "webhook", "inbox"]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReceiptsListed(_Payload):
    receipts: int


class ContactChanged(_Payload):
    contact_id: UUID
    topics: list[str]
    has_user: bool = Field(description="True when the contact is a user with an in-app inbox.")


class EndpointChanged(_Payload):
    endpoint_id: UUID
    topics: list[str] = Field(default_factory=list)
    reason: str | None = Field(default=None, description="Why it changed (rotation, failures).")


class RecipientsListed(_Payload):
    record: Literal["contact", "endpoint", "delivery", "inbox_item", "mail", "preference"]
    count: int


class PreferenceUpdated(_Payload):
    user_id: str
    muted_topics: list[str]
    muted_channels: list[str]


class OrganisationSettingsUpdated(_Payload):
    """An organisation's admin chose the language of its admins' notices and of its contacts and
    users who chose none."""

    locale: Literal["nl", "fr", "en"]
    previous_locale: Literal["nl", "fr", "en"]


class NoticeUnreached(_Payload):
    """An operator alert (USE-3): a notice reached nobody, neither a registered contact nor an
    admin; filed under ``platform`` for the operator, naming the organisation by id only."""

    notice: str
    cause: str
    thread_id: str | None = None
    organisation_id: str
    reason: Literal["no_recipient", "every_delivery_failed"]


class NoticeIssued(_Payload):
    """A notice was addressed: one delivery row per recipient and channel, before sending."""

    notice: str = Field(description="What kind of notice (breach, breach_reminder, ...).")
    cause: str = Field(description="The event id (and reminder point) the notice answers.")
    thread_id: str | None = None
    delivery_ids: list[UUID]
    channels: list[Channel]


class DeliveryAttempted(_Payload):
    """One attempt to hand a notice to an SMTP server, a webhook receiver or an inbox."""

    delivery_id: UUID
    channel: Channel
    attempt: int
    notice: str
    cause: str
    status: str = Field(description="SMTP reply code or HTTP status, or the error class.")
    bounced: bool = False
    next_attempt_at: datetime | None = None


class DeliveryReplayRequested(_Payload):
    delivery_id: UUID
    channel: Channel


class NoticeAcknowledged(_Payload):
    thread_id: str
    notice: str
    user_id: str


class InboxItemRead(_Payload):
    item_id: UUID


class RetentionApplied(_Payload):
    """One retention run over an organisation's notices (TOM-T1, TOM-32a): what was removed, in
    counts; never an address or a text."""

    deliveries_cleared: int = Field(
        ge=0,
        description="Deliveries whose address and text were removed; each row stays as evidence "
        "that the notice was delivered, when, and to which recipient (TOM-T1).",
    )
    inbox_items_deleted: int = Field(
        ge=0,
        description="In-app inbox items deleted (read ones, or unread ones past the "
        "delivery retention) (TOM-T1).",
    )
    delivered_before: datetime = Field(
        description="Deliveries planned before this moment were cleared (the delivery "
        "retention period, TOM-T1)."
    )
    read_before: datetime = Field(
        description="Inbox items read before this moment were deleted (the read inbox item "
        "retention period, TOM-T1)."
    )


def _kind(
    type: str, payload: type[BaseModel], requirements: tuple[str, ...], summary: str
) -> EventKind:
    return EventKind(type=type, payload=payload, requirements=requirements, summary=summary)


KINDS: tuple[EventKind, ...] = (
    _kind(
        RECEIPT_LISTED,
        ReceiptsListed,
        ("TOM-T3a",),
        "The notifier's receipts of an organisation were read.",
    ),
    _kind(
        CONTACT_CREATED,
        ContactChanged,
        ("USE-3", "TOM-O4"),
        "An organisation registered a contact for notices of some topics.",
    ),
    _kind(
        CONTACT_DELETED,
        ContactChanged,
        ("USE-3", "TOM-O4"),
        "An organisation removed a contact.",
    ),
    _kind(
        ENDPOINT_CREATED,
        EndpointChanged,
        ("USE-3", "TOM-O4"),
        "An organisation registered a signed webhook endpoint.",
    ),
    _kind(
        ENDPOINT_UPDATED,
        EndpointChanged,
        ("USE-3",),
        "A webhook endpoint's secret was rotated or the endpoint re-enabled.",
    ),
    _kind(
        ENDPOINT_DELETED,
        EndpointChanged,
        ("USE-3",),
        "An organisation removed a webhook endpoint.",
    ),
    _kind(
        ENDPOINT_DISABLED,
        EndpointChanged,
        ("USE-3", "TOM-O4"),
        "A webhook endpoint was disabled after repeated failures; its owner was told.",
    ),
    _kind(
        RECIPIENT_LISTED,
        RecipientsListed,
        ("TOM-T3a",),
        "Contacts, endpoints, deliveries, inbox items or sink mail of an organisation were read.",
    ),
    _kind(
        PREFERENCE_UPDATED,
        PreferenceUpdated,
        ("USE-3",),
        "A user changed which non-critical notices reach them on which channels.",
    ),
    _kind(
        ORGANISATION_SETTINGS_UPDATED,
        OrganisationSettingsUpdated,
        ("USE-3",),
        "An organisation's admin changed the default language of its notices.",
    ),
    _kind(
        NOTICE_FAILED,
        NoticeUnreached,
        ("USE-3",),
        "A notice reached nobody (no recipient, or every delivery failed): an operator alert.",
    ),
    _kind(
        NOTICE_ISSUED,
        NoticeIssued,
        ("USE-3", "TOM-O4", "DPA-5"),
        "A notice was addressed to an organisation's recipients (delivery rows written).",
    ),
    _kind(
        DELIVERY_DELIVERED,
        DeliveryAttempted,
        ("TOM-O4", "USE-3"),
        "A notice was accepted by the SMTP server, the webhook receiver or the inbox.",
    ),
    _kind(
        DELIVERY_FAILED,
        DeliveryAttempted,
        ("TOM-O4", "USE-3"),
        "An attempt to deliver a notice failed (bounce, refusal, timeout); retry time if any.",
    ),
    _kind(
        DELIVERY_REQUESTED,
        DeliveryReplayRequested,
        ("TOM-O4",),
        "An organisation asked to replay a delivery.",
    ),
    _kind(
        NOTICE_ACKNOWLEDGED,
        NoticeAcknowledged,
        ("TOM-O4", "USE-3"),
        "A controller's user acknowledged receipt of a notice thread.",
    ),
    _kind(
        INBOX_ITEM_UPDATED,
        InboxItemRead,
        ("USE-3",),
        "A user marked an in-app notice as read.",
    ),
    _kind(
        NOTIFIER_RETENTION_EXPIRED,
        RetentionApplied,
        ("TOM-T1", "TOM-32a"),
        "Deliveries and inbox items past their retention lost their address and text, or were "
        "deleted; one event per organisation and run.",
    ),
    grant_use_refused(NOTIFIER_GRANT_USE_DENIED),
)
