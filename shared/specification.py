"""AsyncAPI for the events each service emits and consumes, generated from the catalogue.

Events leave a service through the outbox relay, not through a FastStream publisher object, so
each catalogued type is declared here as a documentation-only publisher with its typed envelope.
"""

from functools import cache

from faststream.nats import JStream, NatsBroker
from pydantic import create_model

from shared.events import CATALOGUE, Envelope, EventKind
from shared.events.subjects import parse_type


@cache
def envelope_model(kind: EventKind) -> type[Envelope]:
    """The CloudEvent of this kind, with ``data`` typed by its payload model."""
    service, entity, verb, version = parse_type(kind.type)
    # Named by entity and verb; by service too where two services share them (three emit
    # ``retention.expired``), so that no schema overwrites another in the one AsyncAPI document.
    shared = sum(parse_type(other)[1:3] == (entity, verb) for other in CATALOGUE) > 1
    words = f"{service}_{entity}_{verb}" if shared else f"{entity}_{verb}"
    name = "".join(part.title() for part in words.split("_")) + f"V{version}Event"
    model: type[Envelope] = create_model(name, __base__=Envelope, data=(kind.payload, ...))
    model.__doc__ = f"{kind.summary} Evidence for: {', '.join(kind.requirements)}."
    return model


def declare_emitted_events(broker: NatsBroker, *, service: str, stream: str) -> None:
    """Declare every catalogued event type of ``service`` on its broker, for AsyncAPI."""
    for kind in CATALOGUE.values():
        if kind.service != service:
            continue
        _, entity, verb, _ = parse_type(kind.type)
        broker.publisher(
            f"dpa.*.{service}.{entity}.{verb}",
            stream=JStream(stream, declare=False),
            title=kind.type,
            description=f"{kind.summary} Requirements: {', '.join(kind.requirements)}.",
            schema=envelope_model(kind),
        )
