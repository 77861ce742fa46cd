"""The notifier's rules: who is told of what, which notices cannot be switched off, and when.

Everything here is a pure function of its arguments (``now`` included), so the scheduler that
applies these rules can run at any time, twice, or after a restart, with the same outcome.
"""

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit


class Topic(StrEnum):
    breach = "breach"
    subprocessor = "subprocessor"
    security = "security"
    agreement = "agreement"


class Channel(StrEnum):
    email = "email"
    webhook = "webhook"
    inbox = "inbox"


class Locale(StrEnum):
    nl = "nl"
    fr = "fr"
    en = "en"


class DeliveryStatus(StrEnum):
    pending = "pending"  # written, not yet accepted; due at next_attempt_at
    sending = "sending"  # claimed by a dispatcher until its lease ends
    delivered = "delivered"
    failed = "failed"  # permanently: bounced, or the retry schedule is exhausted


# Notices nobody can switch off: breaches (art. 33(2), TOM-O4), one's own account locked (TOM-T5).
# An e-mail change is critical: whoever took a session must not be able to mute the notice that
# tells the former address.
CRITICAL_NOTICES = frozenset(
    {
        "breach",
        "breach_update",
        "breach_reminder",
        "account_locked",
        "endpoint_disabled",
        "email_changed",
    }
)

# Standard Webhooks / Svix practice: attempts spread over a little more than a day.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
AUTHORITY_HOURS = 72  # art. 33(1)
DEFAULT_BREACH_REMINDER_HOURS: tuple[int, ...] = (24, 48, 60)
DEFAULT_OBJECTION_REMINDER_HOURS: tuple[int, ...] = (168, 24)  # before the deadline
ENDPOINT_FAILURES_BEFORE_DISABLING = 5


def is_critical(notice: str) -> bool:
    return notice in CRITICAL_NOTICES


def wants(
    *, notice: str, topic: Topic, channel: Channel, muted_topics: set[str], muted_channels: set[str]
) -> bool:
    """Whether a recipient with these preferences gets this notice on this channel."""
    if is_critical(notice):
        return True
    return topic.value not in muted_topics and channel.value not in muted_channels


def next_attempt(
    *, attempt: int, now: datetime, delays: tuple[timedelta, ...] = RETRY_DELAYS
) -> datetime | None:
    """When to try again after failed attempt number ``attempt`` (1-based); None: give up."""
    if attempt < 1 or attempt > len(delays):
        return None
    return now + delays[attempt - 1]


def retry_span() -> timedelta:
    """How long a failing delivery is retried before it is given up."""
    return sum(RETRY_DELAYS, timedelta())


@dataclass(frozen=True)
class Reminder:
    point: int  # hours into the clock (breach) or hours before the deadline (objection)
    due_at: datetime


def breach_reminders(*, authority_deadline: datetime, points: Sequence[int]) -> list[Reminder]:
    """Reminder moments of a controller's 72-hour clock: ``points`` hours after it started."""
    started = authority_deadline - timedelta(hours=AUTHORITY_HOURS)
    return [
        Reminder(point, started + timedelta(hours=point))
        for point in sorted(set(points))
        if 0 < point < AUTHORITY_HOURS
    ]


def objection_reminders(*, deadline: datetime, points: Sequence[int]) -> list[Reminder]:
    """Reminder moments before an objection deadline, ``points`` hours ahead of it."""
    return sorted(
        (Reminder(point, deadline - timedelta(hours=point)) for point in set(points) if point > 0),
        key=lambda reminder: reminder.due_at,
    )


def due_reminder(
    reminders: Sequence[Reminder], *, sent: Sequence[int], now: datetime, until: datetime
) -> Reminder | None:
    """The one reminder to send now, if any: the latest that is due and not yet sent.

    After a long outage the earlier, missed points are not sent one after another: only the most
    recent is, and the earlier ones count as passed. Nothing is due once ``until`` has passed.
    """
    if now >= until:
        return None
    due = [reminder for reminder in reminders if reminder.due_at <= now]
    if not due or due[-1].point in sent:
        return None
    latest = due[-1]
    later_sent = any(
        reminder.point in sent and reminder.due_at > latest.due_at for reminder in reminders
    )
    return None if later_sent else latest


class UnsafeEndpoint(ValueError):
    """A webhook URL the platform will not call (scheme, host or address)."""


def check_endpoint_url(url: str, *, production: bool) -> str:
    """A webhook URL must be https in production and may not name a private or loopback host.

    Host names are resolved and checked again at send time, and the call goes to the address
    that was checked (``webhooks.call``).
    """
    if len(url) > 2000:
        raise UnsafeEndpoint("the URL is longer than 2000 characters")
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"}:
        raise UnsafeEndpoint("the URL must start with https://")
    if production and parts.scheme != "https":
        raise UnsafeEndpoint("the URL must use https")
    if not parts.hostname:
        raise UnsafeEndpoint("the URL has no host")
    if parts.username or parts.password:
        raise UnsafeEndpoint("the URL may not carry credentials")
    if production:
        host = parts.hostname.lower()
        if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
            raise UnsafeEndpoint("the URL may not point to a local host")
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return url
        if not is_public_address(address):
            raise UnsafeEndpoint("the URL may not point to a private or loopback address")
    return url


# Ranges that reach, or may reach, an address the platform must not call, whatever ``is_global``
# says: shared address space (CGNAT), NAT64 (well-known and local-use prefixes), 6to4 and Teredo
# (both embed an IPv4 address a gateway forwards to), site-local and unique-local IPv6.
_REFUSED_V4 = (ipaddress.IPv4Network("100.64.0.0/10"),)
_REFUSED_V6 = tuple(
    ipaddress.IPv6Network(network)
    for network in (
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "2002::/16",
        "2001::/32",
        "fec0::/10",
        "fc00::/7",
    )
)


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """An address a webhook may be sent to: global unicast, and no tunnel or translation prefix
    leading back inside. An IPv4-mapped IPv6 address is judged by the IPv4 address it carries."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public_address(address.ipv4_mapped)
        if any(address in network for network in _REFUSED_V6):
            return False
    elif any(address in network for network in _REFUSED_V4):
        return False
    return address.is_global and not (
        address.is_multicast
        or address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


def should_disable_endpoint(*, consecutive_failures: int, gave_up: bool) -> bool:
    """An endpoint is disabled once a delivery to it was given up after the whole retry schedule
    (over a day) with no success in between; its owner is told (critical notice)."""
    return gave_up and consecutive_failures >= ENDPOINT_FAILURES_BEFORE_DISABLING
