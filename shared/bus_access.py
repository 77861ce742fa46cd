"""Who may do what on the bus: one NATS user per service, with the least it needs (TOM-T5).

Each service publishes only its own subjects (``dpa.*.<service>.>``; audit also relays its
external producers' ``dpa.*.external.>``), so one service's credentials cannot write another
service's events. It reads the stream only through its own durable consumers, created with its
filter in the request subject (``$JS.API.CONSUMER.CREATE.<stream>.<durable>.<filter>``) so the
server holds the filter too, and through the ephemeral ordered consumers of the revocation
listener (shared/revocation.py). Replies come to the service's own inbox prefix
(``_INBOX_<service>``), the only subjects it may subscribe to: no service reads another's
deliveries. Audit, the log's keeper, creates and updates the ``DPA_EVENTS`` stream
(``stream_admin``); the others only look it up. The operator's command line (health, backup,
restore) has a user of its own with the whole JetStream API.

:func:`server_users` renders the ``authorization`` block of a nats-server configuration from
this matrix: ``make run`` writes it with generated passwords (deploy/embedded.py), the tests with
theirs, and ``deploy/nats/users.conf`` (compose) is the same block with each password read from
the environment. docs/operations.md, "The bus: one user per service", shows the matrix.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass

from shared.events.subjects import service_subjects

STREAM = "DPA_EVENTS"
STREAM_ADMIN = "audit"
# Audit's ingest split by organisation (PACTUM_AUDIT_PARTITIONS > 1): a work-queue stream that
# sources the events as ``audit.<partition>.dpa.<tenant>.>``, read through one durable per
# partition (services/audit/partitions.py). Only audit may create, read or acknowledge on it.
PARTITIONS_STREAM = "DPA_AUDIT_PARTITIONS"
PARTITIONS_PREFIX = "audit"
OPERATOR = "operator"

# Each service's durable consumers of the stream and their filters (its consumers.py modules).
DURABLES: dict[str, dict[str, str]] = {
    "identity": {},
    "agreements": {
        "agreements": "dpa.*.identity.user.>",
        "agreements-organisations": "dpa.*.identity.organisation.>",
    },
    "audit": {"audit": "dpa.>"},
    # The notifier's filter is the kinds it plans notices for (services/notifier/plans.py), several
    # subjects, so it travels in the request's body; dpa.> bounds what the notifier may read.
    "notifier": {"notifier": "dpa.>"},
}
# Subjects a service publishes besides its own: audit stores its external producers' events.
RELAYED = {"audit": ("dpa.*.external.>",)}
# What every service's revocation listener reads (shared/revocation.py), through consumers the
# server names anew each time.
REVOCATIONS = (
    "dpa.*.identity.session.revoked",
    "dpa.*.identity.grant.revoked",
    "dpa.*.identity.signing_key.revoked",
)


@dataclass(frozen=True)
class Permissions:
    """The subjects one NATS user may publish to and subscribe to; nothing else."""

    publish: tuple[str, ...]
    subscribe: tuple[str, ...]
    deny_publish: tuple[str, ...] = ()


def inbox_prefix(service: str) -> str:
    """Where the server answers this service (JetStream replies, pulled messages)."""
    return f"_INBOX_{service}"


def permissions(service: str, *, stream: str = STREAM) -> Permissions:
    """What ``service``'s NATS user may do; the operator's user may use all of JetStream."""
    if service == OPERATOR:  # reads everything anyway, through JetStream: any inbox will do
        return Permissions(publish=("dpa.>", "$JS.API.>", "$JS.ACK.>", "$JS.FC.>"),
                           subscribe=(">",))  # fmt: skip
    publish = [service_subjects(service), *RELAYED.get(service, ())]
    publish += ["$JS.API.INFO", f"$JS.API.STREAM.INFO.{stream}"]
    if service == STREAM_ADMIN:
        publish += [f"$JS.API.STREAM.CREATE.{stream}", f"$JS.API.STREAM.UPDATE.{stream}"]
        # Its partitions' stream and every durable on it (one per partition, any number).
        partitions = PARTITIONS_STREAM
        publish += [f"$JS.API.STREAM.{verb}.{partitions}" for verb in ("CREATE", "UPDATE", "INFO")]
        publish += [
            f"$JS.API.CONSUMER.{verb}.{partitions}.>" for verb in ("CREATE", "INFO", "MSG.NEXT")
        ]
        publish.append(f"$JS.ACK.{partitions}.>")
    for durable, subjects in DURABLES[service].items():
        publish.append(f"$JS.API.CONSUMER.CREATE.{stream}.{durable}.{subjects}")
        if subjects == "dpa.>":  # reads everything: its filter may also travel in the body
            publish.append(f"$JS.API.CONSUMER.CREATE.{stream}.{durable}")
        publish += [
            f"$JS.API.CONSUMER.INFO.{stream}.{durable}",
            f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}",
            f"$JS.ACK.{stream}.{durable}.>",
        ]
    # The revocation listener: ordered consumers under any name, with a revocation filter, and
    # their flow control. Never under a durable's name: that request would change the durable's
    # filter (JetStream treats it as an update), so it is denied for every durable.
    publish += [f"$JS.API.CONSUMER.CREATE.{stream}.*.{subject}" for subject in REVOCATIONS]
    publish.append(f"$JS.FC.{stream}.>")
    deny = [
        f"$JS.API.CONSUMER.CREATE.{stream}.{durable}.{subject}"
        for durables in DURABLES.values()
        for durable in durables
        for subject in REVOCATIONS
    ]
    return Permissions(
        publish=tuple(publish),
        subscribe=(f"{inbox_prefix(service)}.>",),
        deny_publish=tuple(deny),
    )


def bus_users() -> tuple[str, ...]:
    """Every NATS user of the platform: the four services and the operator."""
    return (*DURABLES, OPERATOR)


def server_users(passwords: Mapping[str, str], *, stream: str = STREAM) -> str:
    """The ``authorization`` block of a nats-server configuration for these users.

    A password is written as given: a literal for a generated configuration (quoted JSON
    strings), or ``$VARIABLE`` for one nats-server fills in from its environment (compose).
    """
    lines = ["authorization {", "  users: ["]
    for user in bus_users():
        allowed = permissions(user, stream=stream)
        password = passwords[user]
        if not password.startswith("$"):
            password = json.dumps(password)
        lines += [
            "    {",
            f"      user: {json.dumps(user)}",
            f"      password: {password}",
            "      permissions: {",
            f"        publish: {{ allow: {_subjects(allowed.publish)}"
            + (f", deny: {_subjects(allowed.deny_publish)}" if allowed.deny_publish else "")
            + " }",
            f"        subscribe: {{ allow: {_subjects(allowed.subscribe)} }}",
            "      }",
            "    }",
        ]
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def _subjects(subjects: tuple[str, ...]) -> str:
    return "[" + ", ".join(json.dumps(subject) for subject in subjects) + "]"


__all__ = [
    "DURABLES",
    "OPERATOR",
    "PARTITIONS_PREFIX",
    "PARTITIONS_STREAM",
    "REVOCATIONS",
    "STREAM",
    "STREAM_ADMIN",
    "Permissions",
    "bus_users",
    "inbox_prefix",
    "permissions",
    "server_users",
]
