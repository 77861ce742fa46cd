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

    position: int
    event_id: UUID
    event_type: str
    occurred_at: datetime
    received_at: datetime


class ReceiptList(BaseModel):
    items: list[ReceiptPublic]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class ContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topics: list[Topic] = Field(min_length=1, max_length=4)
    email: EmailAddress | None = None
    user_id: str | None = Field(default=None, min_length=1, max_length=200)
    locale: Locale | None = Field(
        default=None, description="Omitted: the organisation's language (GET /notifier/settings)."
    )


class ContactPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    topics: list[str]
    email: str | None
    user_id: str | None
    locale: Locale | None = Field(description="None: the organisation's language.")
    created_at: datetime


class ContactList(BaseModel):
    items: list[ContactPublic]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class EndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=8, max_length=2000)
    topics: list[Topic] = Field(min_length=1, max_length=4)


class EndpointPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    url: str
    topics: list[str]
    enabled: bool
    failures: int
    disabled_at: datetime | None
    created_at: datetime


class EndpointWithSecret(EndpointPublic):
    secret: str = Field(description="Shown once: verify webhook-signature with it.")


class EndpointList(BaseModel):
    items: list[EndpointPublic]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class PreferenceBody(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    email: EmailAddress | None = None
    locale: Locale | None = Field(
        default=None, description="None: the organisation's language (GET /notifier/settings)."
    )
    muted_topics: list[Topic] = Field(default_factory=list, max_length=4)
    muted_channels: list[Channel] = Field(default_factory=list, max_length=3)

    @field_validator("muted_topics", "muted_channels")
    @classmethod
    def _unique(cls, value: list[Any]) -> list[Any]:
        return list(dict.fromkeys(value))


class DeliveryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    cause: str
    recipient: str
    channel: Channel
    notice: str
    topic: str
    thread_id: str | None
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_status: str | None
    created_at: datetime


class DeliveryList(BaseModel):
    items: list[DeliveryPublic]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class AttemptPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    at: datetime
    delivered: bool
    status: str
    detail: str | None


class AttemptList(BaseModel):
    items: list[AttemptPublic]


class InboxItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    notice: str
    thread_id: str | None
    subject: str
    text: str
    link: str
    event_id: str
    created_at: datetime
    read_at: datetime | None
    acknowledged_at: datetime | None


class InboxList(BaseModel):
    items: list[InboxItemPublic]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class AcknowledgementPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    thread_id: str
    user_id: str
    at: datetime


class SinkMessage(BaseModel):
    name: str
    to: str
    subject: str
    event_id: str | None
    text: str


class SinkList(BaseModel):
    items: list[SinkMessage]


class OrganisationSettingsBody(BaseModel):
    """The organisation's notice settings, set by its admin."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    locale: Locale = Field(
        description="The language of notices to the organisation's admins, and of its contacts "
        "and users who chose none. Dutch until set. Webhooks are language-neutral JSON."
    )
