"""The subject scheme: ``dpa.<tenant>.<service>.<entity>.<verb>``.

Lower-case tokens, past-tense verbs from a closed list, never an id beyond the tenant. Platform-wide
events use the tenant token ``platform``.
"""

import re

STREAM_SUBJECTS = "dpa.>"
PLATFORM_TENANT = "platform"
TENANT_PATTERN = r"^(platform|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"

VERBS = frozenset(
    {
        "created",
        "updated",
        "deleted",
        "viewed",
        "listed",
        "exported",
        "signed",
        "activated",
        "terminated",
        "closed",
        "proposed",
        "approved",
        "objected",
        "withdrawn",
        "accepted",
        "acknowledged",
        "reported",
        "notified",
        "issued",
        "revoked",
        "granted",
        "expired",
        "invited",
        "enabled",
        "disabled",
        "removed",
        "locked",
        "unlocked",
        "succeeded",
        "failed",
        "reset",
        "enrolled",
        "destroyed",
        "returned",
        "sent",
        "delivered",
        "checkpointed",
        "verified",
        "requested",
        "denied",
        "announced",
        "registered",
        "commented",
        "forwarded",
        "assisted",
        "answered",
        "connected",  # an organisation's own identity provider (identity.idp.*)
        "disconnected",
        "restored",  # platform maintenance (audit.platform_*): a backup restored,
        "migrated",  # the databases migrated,
        "rotated",  # a signing key rotated
    }
)

_TYPE = re.compile(
    r"^dpa\.(?P<service>[a-z]+)\.(?P<entity>[a-z_]+)\.(?P<verb>[a-z_]+)\.v(?P<v>\d+)$"
)
_TENANT = re.compile(TENANT_PATTERN)


class InvalidEventType(ValueError):
    pass


def parse_type(event_type: str) -> tuple[str, str, str, int]:
    """Split ``dpa.<service>.<entity>.<verb>.v<N>`` into its parts."""
    match = _TYPE.match(event_type)
    if not match:
        raise InvalidEventType(f"{event_type!r} is not dpa.<service>.<entity>.<verb>.v<N>")
    verb = match["verb"]
    if verb not in VERBS:
        raise InvalidEventType(f"{event_type!r}: verb {verb!r} is not in the closed list")
    return match["service"], match["entity"], verb, int(match["v"])


def subject_for(event_type: str, *, tenant: str) -> str:
    """The NATS subject an event of this type for this tenant is published on."""
    if not _TENANT.match(tenant):
        raise ValueError(f"{tenant!r} is not an organisation id or {PLATFORM_TENANT!r}")
    service, entity, verb, _ = parse_type(event_type)
    return f"dpa.{tenant}.{service}.{entity}.{verb}"


def service_subjects(service: str) -> str:
    """The wildcard that matches every event a service emits, for every tenant."""
    return f"dpa.*.{service}.>"
