"""The rules of the audit log, readable without the stack.

An entry is one event as the log keeps it. Its leaf in the organisation's Merkle tree is the
canonical JSON of the stored entry, personal data included *as ciphertext* (TOM-32a): destroying a
key later turns that data into a pseudonym without changing a single hash (TOM-T1).
"""

import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson

from shared.event_types.agreements import AGREEMENT_SIGNED
from shared.event_types.identity import (
    ORGANISATION_ANNOUNCED,
    ORGANISATION_CREATED,
    ORGANISATION_UPDATED,
)

# Keys of an event's data whose values identify a person: they are sealed, never stored in clear.
PERSONAL_FIELDS = frozenset(
    {"name", "full_name", "display_name", "first_name", "last_name", "email", "email_address"}
)

# Where a sealed entry keeps the names of its actor and of the actor's organisation.
ACTOR_NAME = "actor_name"
ACTOR_ORGANISATION_NAME = "actor_organisation_name"

# Identity's events that state an organisation's name (``data.organisation_id``, ``data.name``).
ORGANISATION_NAMING = frozenset(
    {
        ORGANISATION_CREATED,
        ORGANISATION_UPDATED,
        ORGANISATION_ANNOUNCED,
    }
)

# The operator's maintenance of the whole platform (backup, restore, migration, key rotation,
# checkpoint): published once under the tenant ``platform``, written into every organisation's log.
PLATFORM_TENANT = "platform"
PLATFORM_MAINTENANCE_PREFIX = "dpa.audit.platform_"


def is_platform_maintenance(event_type: str, tenant: str) -> bool:
    """An event the log keeps once for each organisation it knows, not for ``platform``."""
    return tenant == PLATFORM_TENANT and event_type.startswith(PLATFORM_MAINTENANCE_PREFIX)


def entry_id_in(event_id: uuid.UUID, organisation_id: str) -> uuid.UUID:
    """The id of a platform-wide event's entry in one organisation's log: derived, so it is the
    same however often the event is delivered, and differs between organisations (an entry's id
    is unique across the logs)."""
    return uuid.uuid5(event_id, organisation_id)


# What the leaf covers, in this order of meaning (the JSON itself is key-sorted).
LEAF_FIELDS = (
    "organisation_id",
    "log_index",
    "event_id",
    "event_type",
    "source",
    "subject",
    "actor_id",
    "actor_type",
    "actor_organisation_id",
    "grant_id",
    "outcome",
    "supplier_intervention",
    "agreement_id",
    "trace_id",
    "correlation_id",
    "occurred_at",
    "recorded_at",
    "requirements",
    "data",
    "sealed",
    "seal_key_id",
)


def utc_text(moment: datetime) -> str:
    """A time as the leaf records it: UTC, microseconds, ``Z`` (naive times are UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    elif moment.utcoffset():
        moment = moment.astimezone(UTC)
    if moment.year < 1000:  # strftime does not pad the year; isoformat does
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # isoformat is four times faster than strftime; its "+00:00" becomes "Z"
    return moment.isoformat(timespec="microseconds")[:-6] + "Z"


def leaf_fields(entry: dict[str, Any]) -> dict[str, Any]:
    """What the leaf covers, as JSON values: the leaf fields, times as text, ids as strings."""
    fields = dict(zip(LEAF_FIELDS, map(entry.get, LEAF_FIELDS), strict=True))
    for moment in ("occurred_at", "recorded_at"):
        value = fields[moment]
        if isinstance(value, datetime):
            fields[moment] = utc_text(value)
    fields["event_id"] = str(fields["event_id"])
    return fields


def leaf_bytes(fields: dict[str, Any]) -> bytes:
    """The bytes a leaf hashes: JSON with sorted keys, no whitespace, UTF-8 (orjson's
    ``OPT_SORT_KEYS``), of :func:`leaf_fields`; ``pactum_verify.leaves`` writes the same."""
    return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)


def canonical(entry: dict[str, Any]) -> bytes:
    """The leaf bytes of a stored entry (or of a dict with the same fields)."""
    return leaf_bytes(leaf_fields(entry))


def split_personal(
    data: dict[str, Any],
    client_address: str | None,
    *,
    actor_name: str | None = None,
    actor_organisation_name: str | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Separate what identifies a person (to be sealed) from what may be stored in clear.

    The actor's display name and their organisation's name, as known when the entry is written,
    are sealed with the rest: the entry names its person while the key lives, and only then.
    """
    if PERSONAL_FIELDS.isdisjoint(data):  # most events name no person in their data
        clear, personal = dict(data), {}
    else:
        clear = {key: value for key, value in data.items() if key not in PERSONAL_FIELDS}
        personal = {key: value for key, value in data.items() if key in PERSONAL_FIELDS}
    if client_address:
        personal["client_address"] = client_address
    if actor_name:
        personal[ACTOR_NAME] = actor_name
    if actor_organisation_name:
        personal[ACTOR_ORGANISATION_NAME] = actor_organisation_name
    return clear, personal


def pseudonym(seal_key_id: str) -> str:
    """What an entry shows once its key is destroyed: stable per key, meaningless without it."""
    return f"erased:{seal_key_id[:12]}"


def retention_period(moment: datetime) -> str:
    """Keys are cut per calendar month, so a month's personal data can be erased as one."""
    return moment.astimezone(UTC).strftime("%Y-%m")


def periods_past_retention(periods: list[str], *, now: datetime, retention_days: int) -> list[str]:
    """The months that ended more than ``retention_days`` ago (TOM-T1)."""
    cutoff = now.astimezone(UTC).timestamp() - retention_days * 86400
    expired: list[str] = []
    for period in periods:
        year, month = (int(part) for part in period.split("-"))
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        if end.timestamp() <= cutoff:
            expired.append(period)
    return expired


_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")


def trace_id(traceparent: str | None) -> str | None:
    """The W3C trace id in a ``traceparent``, so an entry links to its trace (USE-2)."""
    match = _TRACEPARENT.match(traceparent or "")
    if match is None or match[1] == "0" * 32:
        return None
    return match[1]


def agreement_of(data: dict[str, Any]) -> str | None:
    """The agreement an event concerns, by the platform's convention (``data.agreement_id``)."""
    value = data.get("agreement_id")
    return str(value) if value else None


def organisation_named(event_type: str, data: dict[str, Any]) -> tuple[str, str] | None:
    """The organisation and its name, when the event states them."""
    if event_type not in ORGANISATION_NAMING:
        return None
    organisation, name = data.get("organisation_id"), data.get("name")
    if organisation and isinstance(name, str) and name:
        return str(organisation), name
    return None


def signed_by_both(event_type: str, data: dict[str, Any]) -> bool:
    """Does this event say both parties signed the agreement (a version of it)?"""
    return event_type == AGREEMENT_SIGNED and data.get("fully_signed") is True


def parties_of(data: dict[str, Any]) -> tuple[str, str] | None:
    """The controller and processor an agreement event names, when it names both."""
    controller, processor = data.get("controller_id"), data.get("processor_id")
    if controller and processor:
        return str(controller), str(processor)
    return None


def fair_share(partitions: int, live: Iterable[str], replica: str) -> set[int]:
    """The partitions of the ingest that ``replica`` should consume among the ``live`` replicas:
    every replica sees the same list and takes every k-th partition by its place in it, so each
    partition has one replica and no replica has more than one partition more than another."""
    ordered = sorted(set(live) | {replica})
    place, count = ordered.index(replica), len(ordered)
    return {partition for partition in range(partitions) if partition % count == place}
