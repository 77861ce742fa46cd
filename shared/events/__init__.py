"""The event contract between services: CloudEvents envelope, subjects and the catalogue."""

from shared.events.catalogue import CATALOGUE, EventKind, UnknownEventType, kind_of
from shared.events.envelope import Actor, ActorType, Envelope, new_event

__all__ = [
    "CATALOGUE",
    "Actor",
    "ActorType",
    "Envelope",
    "EventKind",
    "UnknownEventType",
    "kind_of",
    "new_event",
]
