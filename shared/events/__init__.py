"""The event contract between services: CloudEvents envelope, subjects and the catalogue."""

from shared.events.catalogue import CATALOGUE, UnknownEventType, kind_of
from shared.events.envelope import Actor, ActorType, Envelope, Outcome, new_event
from shared.events.kind import EventKind

__all__ = [
    "CATALOGUE",
    "Actor",
    "ActorType",
    "Envelope",
    "EventKind",
    "Outcome",
    "UnknownEventType",
    "kind_of",
    "new_event",
]
