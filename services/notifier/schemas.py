"""Request and response bodies of the notifier API."""

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.notifier.domain import Channel, DeliveryStatus, Locale, Topic
from shared.input_rules import EmailAddress
from shared.pagination import NEXT_CURSOR_DESCRIPTION


class ReceiptPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    position: int = Field(
        description="The receipt's position in the organisation's receipts, from 1."
    )
    event_id: UUID = Field(description="The id of the event received.")
    event_type: str = Field(description="The event's type.")
    occurred_at: datetime = Field(description="When the event happened.")
    received_at: datetime = Field(description="When the notifier received it.")


class ReceiptList(BaseModel):
    items: list[ReceiptPublic] = Field(description="The receipts on this page, newest first.")
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class ContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topics: list[Topic] = Field(
        min_length=1,
        max_length=4,
        description="The topics the contact is told of: breach, subprocessor, security, agreement.",
    )
    email: EmailAddress | None = Field(
        default=None, description="The address notices go to; or user_id, or both."
    )
    user_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The user whose inbox (and address) notices go to.",
    )
    locale: Locale | None = Field(
        default=None, description="Omitted: the organisation's language (GET /notifier/settings)."
    )


class ContactPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="The contact's id.")
    topics: list[str] = Field(description="The topics the contact is told of.")
    email: str | None = Field(description="The address notices go to; null when none.")
    user_id: str | None = Field(description="The user whose inbox notices go to; null when none.")
    locale: Locale | None = Field(description="None: the organisation's language.")
    created_at: datetime = Field(description="When the contact was registered.")


class ContactList(BaseModel):
    items: list[ContactPublic] = Field(description="The contacts on this page, in the order added.")
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class EndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        min_length=8,
        max_length=2000,
        description="The HTTPS URL webhooks are posted to (public addresses only).",
    )
    topics: list[Topic] = Field(
        min_length=1,
        max_length=4,
        description="The topics posted to it: breach, subprocessor, security, agreement.",
    )


class EndpointPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="The endpoint's id.")
    url: str = Field(description="The URL webhooks are posted to.")
    topics: list[str] = Field(description="The topics posted to it.")
    enabled: bool = Field(description="Whether webhooks are posted to it.")
    failures: int = Field(
        description="Deliveries that exhausted their retries since the last success."
    )
    disabled_at: datetime | None = Field(
        description="When it was disabled after repeated failures; else null."
    )
    created_at: datetime = Field(description="When it was registered.")


class EndpointWithSecret(EndpointPublic):
    secret: str = Field(description="Shown once: verify webhook-signature with it.")


class EndpointList(BaseModel):
    items: list[EndpointPublic] = Field(
        description="The endpoints on this page, in the order added."
    )
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class PreferenceBody(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    email: EmailAddress | None = Field(
        default=None, description="Your address for notices; null: the one in your account."
    )
    locale: Locale | None = Field(
        default=None, description="None: the organisation's language (GET /notifier/settings)."
    )
    muted_topics: list[Topic] = Field(
        default_factory=list, max_length=4, description="Topics you are not told of by mail."
    )
    muted_channels: list[Channel] = Field(
        default_factory=list,
        max_length=3,
        description="Channels that do not reach you (email, inbox, webhook).",
    )

    @field_validator("muted_topics", "muted_channels")
    @classmethod
    def _unique(cls, value: list[Any]) -> list[Any]:
        return list(dict.fromkeys(value))


class DeliveryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="The delivery's id.")
    cause: str = Field(description="The event (and reminder point) that caused the notice.")
    recipient: str = Field(
        description="Who it goes to: a contact, endpoint or user key (no address)."
    )
    channel: Channel = Field(description="email, inbox or webhook.")
    notice: str = Field(description="The notice kind, e.g. breach.")
    topic: str = Field(description="The notice's topic.")
    thread_id: str | None = Field(
        description="The breach, change or agreement the notice belongs to; else null."
    )
    status: DeliveryStatus = Field(description="pending, delivered or failed.")
    attempts: int = Field(description="How many attempts were made.")
    next_attempt_at: datetime | None = Field(description="When it is tried again; null when done.")
    delivered_at: datetime | None = Field(description="When it was delivered; else null.")
    last_status: str | None = Field(
        description="The last attempt's status (SMTP or HTTP code); else null."
    )
    created_at: datetime = Field(description="When the delivery was planned.")
    retention_applied_at: datetime | None = Field(
        default=None,
        description="When the notice's address and text were removed after the retention "
        "period (TOM-T1); the delivery itself stays as evidence. Null while they are kept.",
    )


class DeliveryList(BaseModel):
    items: list[DeliveryPublic] = Field(description="The deliveries on this page, newest first.")
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class AttemptPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int = Field(description="The attempt's number, from 1.")
    at: datetime = Field(description="When it was made.")
    delivered: bool = Field(description="Whether it delivered.")
    status: str = Field(description="The SMTP or HTTP status it got, or an error kind.")
    detail: str | None = Field(description="What went wrong, without secrets; else null.")


class AttemptList(BaseModel):
    items: list[AttemptPublic] = Field(description="Every attempt, first first.")


class InboxItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="The inbox item's id.")
    notice: str = Field(description="The notice kind, e.g. breach.")
    thread_id: str | None = Field(
        description="The breach, change or agreement it belongs to; else null."
    )
    subject: str = Field(description="The notice's subject line, in your language.")
    text: str = Field(description="The notice's text, in your language.")
    link: str = Field(description="The console page of the item.")
    event_id: str = Field(description="The id of the event it answers to.")
    created_at: datetime = Field(description="When it arrived.")
    read_at: datetime | None = Field(description="When you read it; else null.")
    acknowledged_at: datetime | None = Field(
        description="When the thread was acknowledged; else null."
    )


class InboxList(BaseModel):
    items: list[InboxItemPublic] = Field(description="The inbox items on this page, newest first.")
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class AcknowledgementPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    thread_id: str = Field(description="The thread acknowledged.")
    user_id: str = Field(description="Who acknowledged it.")
    at: datetime = Field(description="When it was acknowledged.")


class SinkMessage(BaseModel):
    name: str = Field(description="The message file's name.")
    to: str = Field(description="The recipient's address.")
    subject: str = Field(description="The subject line.")
    event_id: str | None = Field(description="The event id the message carries; else null.")
    text: str = Field(description="The plain-text body, one-time link secrets hidden.")


class SinkList(BaseModel):
    items: list[SinkMessage] = Field(description="The messages, newest first.")


class OrganisationSettingsBody(BaseModel):
    """The organisation's notice settings, set by its admin."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    locale: Locale = Field(
        description="The language of notices to the organisation's admins, and of its contacts "
        "and users who chose none. Dutch until set. Webhooks are language-neutral JSON."
    )
