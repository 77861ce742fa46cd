"""Turning a notice into delivery rows: one per recipient and channel, in the event's transaction.

The rows are written (and the notice's evidence event added to the outbox) before anything is
sent; the dispatcher sends them after commit. An inbox item is the delivery itself, so it is
delivered in the same transaction.
"""

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifier import ledger, store
from services.notifier.domain import Channel, DeliveryStatus, Locale, Topic, wants
from services.notifier.ledger import Attempt, Delivery, InboxItem
from services.notifier.notices import Notice
from services.notifier.store import Contact, Endpoint, Preference
from services.notifier.templates import render
from shared.event_types.notifier import DELIVERY_DELIVERED, NOTICE_FAILED, NOTICE_ISSUED
from shared.events import Actor
from shared.events.contracts.notifier import DeliveryAttempted, NoticeIssued, NoticeUnreached
from shared.events.subjects import PLATFORM_TENANT
from shared.outbox import Outbox
from shared.telemetry import current_traceparent

SYSTEM = Actor.system("notifier")
log = structlog.get_logger("pactum.notifier")


@dataclass(frozen=True)
class Recipient:
    key: str
    channel: Channel
    locale: Locale
    email: str | None = None
    user_id: str | None = None
    endpoint_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Audience:
    """Whom the notifier knows for a notice's organisation and topic, read before deciding who is
    told: the organisation's contacts and enabled webhook endpoints of the topic (none for a
    notice to one user only), the preferences of those contacts' users and of the notice's user,
    and the organisation's language."""

    contacts: list[Contact]
    preferences: dict[str, Preference]  # by user id
    locale: Locale
    endpoints: list[Endpoint]


async def recipients_for(session: AsyncSession, notice: Notice) -> list[Recipient]:
    """Everyone the notice reaches on each channel they chose (critical notices reach all)."""
    return who_is_told(notice, await audience_of(session, notice))


async def audience_of(session: AsyncSession, notice: Notice) -> Audience:
    org, topic = notice.organisation_id, notice.topic.value
    contacts = (
        await store.contacts_of(session=session, organisation_id=org, topic=topic)
        if notice.to_contacts
        else []
    )
    users = [c.user_id for c in contacts if c.user_id] + (
        [notice.user_id] if notice.user_id else []
    )
    preferences = await store.preferences_of(session=session, organisation_id=org, user_ids=users)
    locale = await store.organisation_locale(session=session, organisation_id=org)
    endpoints = (
        [
            endpoint
            for endpoint in await store.endpoints_of(
                session=session, organisation_id=org, topic=topic
            )
            if endpoint.enabled
        ]
        if notice.to_contacts
        else []
    )
    return Audience(contacts, preferences, locale, endpoints)


def who_is_told(notice: Notice, audience: Audience) -> list[Recipient]:
    """Each recipient once a channel, in this order: the topic's contacts, the user the notice is
    about, the organisation's admins, its webhooks; less those whose preferences mute the notice
    (a critical notice reaches them all the same)."""
    told: dict[tuple[str, Channel], Recipient] = {}
    for recipient in (
        *_contacts_reached(audience),
        *_user_reached(notice, audience),
        *_organisation_reached(notice, audience),
    ):
        if _wants(notice, recipient, audience.preferences):
            told.setdefault((recipient.key, recipient.channel), recipient)
    return list(told.values())


def _wants(notice: Notice, recipient: Recipient, preferences: dict[str, Preference]) -> bool:
    preference = preferences.get(recipient.user_id or "")
    return wants(
        notice=notice.notice,
        topic=notice.topic,
        channel=recipient.channel,
        muted_topics=set(preference.muted_topics) if preference else set(),
        muted_channels=set(preference.muted_channels) if preference else set(),
    )


def _contacts_reached(audience: Audience) -> Iterator[Recipient]:
    """A contact by mail at its address, and in its user's inbox, in its language."""
    for contact in audience.contacts:
        locale = contact.locale or audience.locale
        if contact.email:
            yield Recipient(f"contact:{contact.id}", Channel.email, locale,
                            contact.email, contact.user_id)  # fmt: skip
        if contact.user_id:
            yield Recipient(f"user:{contact.user_id}", Channel.inbox, locale,
                            user_id=contact.user_id)  # fmt: skip


def _user_reached(notice: Notice, audience: Audience) -> Iterator[Recipient]:
    """The user a notice is about: by mail (without an address of their own, identity's is looked
    up at send time), in their inbox unless the mail carries a one-time link, and at the address
    an e-mail change replaced."""
    if not notice.user_id:
        return
    preference = audience.preferences.get(notice.user_id)
    locale = (preference.locale if preference else None) or audience.locale
    # A security notice goes to the address identity knows, proven by its invitation link,
    # never to one set in the preferences (unproven: whoever holds a session can set it).
    own = preference.email if preference and notice.topic is not Topic.security else None
    yield Recipient(f"user:{notice.user_id}", Channel.email, locale, own, notice.user_id)
    if not notice.link_id:
        yield Recipient(f"user:{notice.user_id}", Channel.inbox, locale, user_id=notice.user_id)
    if notice.former_address_of:  # identity gives the replaced address at send time
        yield Recipient(f"former:{notice.former_address_of}", Channel.email, locale,
                        user_id=notice.user_id)  # fmt: skip


def _organisation_reached(notice: Notice, audience: Audience) -> Iterator[Recipient]:
    """The organisation's admins, in one message to all the active ones (identity lists them at
    send time), and its webhooks, in language-neutral JSON."""
    # USE-3: a notice for the organisation's contacts of a topic for which it registered none
    # goes to its admins: a notice always reaches someone.
    fallback = notice.to_contacts and not audience.contacts and not audience.endpoints
    if notice.to_admins or fallback:
        yield Recipient(f"admins:{notice.organisation_id}", Channel.email, audience.locale)
    for endpoint in audience.endpoints:
        yield Recipient(f"endpoint:{endpoint.id}", Channel.webhook, Locale.en,
                        endpoint_id=endpoint.id)  # fmt: skip


async def address(
    session: AsyncSession, *, outbox: Outbox, notice: Notice, base_url: str, now: datetime
) -> list[Delivery]:
    """Write the notice's deliveries (skipping those already written) and its evidence event."""
    done = await ledger.existing_keys(session=session, cause=notice.cause)
    link = f"{base_url.rstrip('/')}{notice.link}"
    # The consumer's span, linked to the request behind the event: the send continues it.
    traceparent = current_traceparent()
    sent_in = {"traceparent": traceparent} if traceparent else {}
    deliveries: list[Delivery] = []
    for recipient in await recipients_for(session, notice):
        if (recipient.key, recipient.channel.value) in done:
            continue
        delivery = Delivery(
            id=uuid.uuid4(),
            organisation_id=notice.organisation_id,
            cause=notice.cause,
            recipient=recipient.key,
            channel=recipient.channel,
            notice=notice.notice,
            topic=notice.topic.value,
            thread_id=notice.thread_id,
            next_attempt_at=now,
            message=_message(notice, recipient, link) | sent_in,
            created_at=now,
        )
        session.add(delivery)
        deliveries.append(delivery)
    await session.flush()
    if not deliveries and not done:
        alert_unreached(session, outbox, notice=notice, reason="no_recipient")
    for delivery in deliveries:
        if delivery.channel is Channel.inbox:
            _deliver_to_inbox(session, outbox=outbox, delivery=delivery, now=now)
    outbox.add(
        session,
        type=NOTICE_ISSUED,
        tenant=notice.organisation_id,
        actor=SYSTEM,
        subject=notice.thread_id,
        data=NoticeIssued(
            notice=notice.notice,
            cause=notice.cause,
            thread_id=notice.thread_id,
            delivery_ids=[d.id for d in deliveries],
            channels=sorted({d.channel.value for d in deliveries}),
        ),
    )
    return deliveries


def alert_unreached(
    session: AsyncSession,
    outbox: Outbox,
    *,
    notice: Notice | Delivery,
    reason: Literal["no_recipient", "every_delivery_failed"],
) -> None:
    """Tell the operator that a notice reached nobody (USE-3): an event under ``platform``,
    which the audit log keeps, and a warning in the log."""
    log.warning(
        "notice.reached_nobody",
        notice=notice.notice,
        cause=notice.cause,
        organisation_id=notice.organisation_id,
        reason=reason,
    )
    outbox.add(
        session,
        type=NOTICE_FAILED,
        tenant=PLATFORM_TENANT,
        actor=SYSTEM,
        subject=notice.thread_id,
        data=NoticeUnreached(
            notice=notice.notice,
            cause=notice.cause,
            thread_id=notice.thread_id,
            organisation_id=notice.organisation_id,
            reason=reason,
        ),
    )


def _message(notice: Notice, recipient: Recipient, link: str) -> dict[str, Any]:
    base: dict[str, Any] = {"event_id": notice.event_id, "link": link, "locale": recipient.locale}
    if notice.link_id:
        return base | {"link_id": notice.link_id}  # rendered at send time, never stored
    if recipient.channel is Channel.webhook:
        body = {
            "type": f"pactum.{notice.topic.value}.{notice.notice}",
            "timestamp": notice.occurred_at,
            "data": {
                "notice": notice.notice,
                "event_id": notice.event_id,
                "thread_id": notice.thread_id,
                "organisation_id": notice.organisation_id,
                "facts": notice.facts,
                "link": link,
            },
        }
        return base | {
            "endpoint_id": str(recipient.endpoint_id),
            "body": json.dumps(body, sort_keys=True, default=str),
        }
    rendered = render(
        notice=notice.notice,
        locale=recipient.locale,
        facts=notice.facts,
        event_id=notice.event_id,
        link=link,
    )
    return base | {
        "to": recipient.email,
        "user_id": recipient.user_id,
        "admins_of": notice.organisation_id if recipient.key.startswith("admins:") else None,
        "former_address_of": notice.former_address_of
        if recipient.key.startswith("former:")
        else None,
        "subject": rendered.subject,
        "text": rendered.text,
        "html": rendered.html,
    }


def _deliver_to_inbox(
    session: AsyncSession, *, outbox: Outbox, delivery: Delivery, now: datetime
) -> None:
    message = delivery.message
    session.add(
        InboxItem(
            organisation_id=delivery.organisation_id,
            user_id=delivery.recipient.removeprefix("user:"),
            delivery_id=delivery.id,
            notice=delivery.notice,
            thread_id=delivery.thread_id,
            subject=message["subject"],
            text=message["text"],
            link=message["link"],
            event_id=message["event_id"],
            created_at=now,
        )
    )
    delivery.status = DeliveryStatus.delivered
    delivery.attempts = 1
    delivery.delivered_at = now
    delivery.next_attempt_at = None
    delivery.last_status = "stored"
    session.add(
        Attempt(
            delivery_id=delivery.id,
            organisation_id=delivery.organisation_id,
            number=1,
            at=now,
            delivered=True,
            status="stored",
        )
    )
    outbox.add(
        session,
        type=DELIVERY_DELIVERED,
        tenant=delivery.organisation_id,
        actor=SYSTEM,
        subject=str(delivery.id),
        data=DeliveryAttempted(
            delivery_id=delivery.id,
            channel="inbox",
            attempt=1,
            notice=delivery.notice,
            cause=delivery.cause,
            status="stored",
        ),
    )
