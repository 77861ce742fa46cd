"""The event catalogue: each event type, its payload model, and the requirements it evidences.

The catalogue is the contract between the services, so it lives in ``shared`` rather than in the
producing service: the audit service validates and classifies every event without importing the
service that emitted it. Each ``contracts/<service>.py`` declares its payloads and its ``KINDS``;
this module joins them. Publishing or consuming an unregistered type is a bug.
"""

from shared.events.contracts import agreements, audit, identity, notifier
from shared.events.kind import EventKind


class UnknownEventType(KeyError):
    pass


def _join(*groups: tuple[EventKind, ...]) -> dict[str, EventKind]:
    catalogue: dict[str, EventKind] = {}
    for kind in (kind for group in groups for kind in group):
        if kind.type in catalogue:
            raise ValueError(f"{kind.type} is registered twice")
        catalogue[kind.type] = kind
    return catalogue


CATALOGUE: dict[str, EventKind] = _join(
    identity.KINDS, agreements.KINDS, audit.KINDS, notifier.KINDS
)


def kind_of(event_type: str) -> EventKind:
    try:
        return CATALOGUE[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None
