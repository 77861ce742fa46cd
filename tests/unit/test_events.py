"""The event contract: envelope, subject scheme and catalogue."""

import uuid
from datetime import datetime

import pytest
from pydantic import BaseModel, ValidationError

from shared.events import CATALOGUE, Actor, Envelope, UnknownEventType, kind_of, new_event
from shared.events.contracts.agreements import AgreementCreated
from shared.events.subjects import InvalidEventType, parse_type, subject_for

ORG = "5b0f7c6e-3f7e-4c59-9d55-3c1f1b7a2c11"


def test_every_catalogued_type_is_well_formed_and_names_requirements() -> None:
    assert CATALOGUE
    for event_type, kind in CATALOGUE.items():
        service, entity, verb, version = parse_type(event_type)
        assert kind.service == service and version >= 1 and entity and verb
        assert kind.requirements, event_type
        assert issubclass(kind.payload, BaseModel)
        assert subject_for(event_type, tenant=ORG) == f"dpa.{ORG}.{service}.{entity}.{verb}"


def test_reads_are_classified_as_access_events__TOM_T3a() -> None:
    assert kind_of("dpa.agreements.agreement.viewed.v1").is_access
    assert not kind_of("dpa.agreements.agreement.created.v1").is_access


def test_subject_never_carries_an_id_beyond_the_tenant() -> None:
    subject = subject_for("dpa.agreements.agreement.created.v1", tenant="platform")
    assert subject == "dpa.platform.agreements.agreement.created"
    with pytest.raises(ValueError, match="organisation id"):
        subject_for("dpa.agreements.agreement.created.v1", tenant="acme.>")


@pytest.mark.parametrize(
    "event_type",
    [
        "agreement.created",
        "dpa.agreements.agreement.created",
        "dpa.Agreements.agreement.created.v1",
        "dpa.agreements.agreement.exploded.v1",
    ],
)
def test_malformed_event_types_are_refused(event_type: str) -> None:
    with pytest.raises(InvalidEventType):
        parse_type(event_type)


def test_publishing_an_unregistered_type_is_a_bug_caught_early() -> None:
    with pytest.raises(UnknownEventType):
        new_event(
            source="/dpa/agreements",
            type="dpa.agreements.agreement.deleted.v1",
            tenant=ORG,
            actor=Actor(id="u"),
            data=AgreementCreated(agreement_id=uuid.uuid4()),
        )


def test_payload_must_match_its_kind() -> None:
    class Wrong(BaseModel):
        something: str = "else"

    with pytest.raises(ValidationError):
        new_event(
            source="/dpa/agreements",
            type="dpa.agreements.agreement.created.v1",
            tenant=ORG,
            actor=Actor(id="u"),
            data=Wrong(),
        )


def test_envelope_round_trips_as_structured_cloudevent() -> None:
    event = new_event(
        source="/dpa/agreements",
        type="dpa.agreements.agreement.created.v1",
        tenant=ORG,
        actor=Actor(id="u-1", organisation_id=ORG),
        data=AgreementCreated(agreement_id=uuid.uuid4()),
        subject="a-1",
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    )
    again = Envelope.model_validate_json(event.to_json())
    assert again == event
    assert again.specversion == "1.0"
    assert again.nats_subject == f"dpa.{ORG}.agreements.agreement.created"


def test_envelope_refuses_naive_times_and_unknown_attributes() -> None:
    base = {
        "id": str(uuid.uuid4()),
        "source": "/dpa/agreements",
        "type": "dpa.agreements.agreement.created.v1",
        "time": datetime(2026, 1, 1).isoformat(),
        "tenantid": ORG,
        "actorid": "u",
        "actortype": "user",
        "data": {},
    }
    with pytest.raises(ValidationError, match="timezone"):
        Envelope.model_validate(base)
    with pytest.raises(ValidationError, match="Extra inputs"):
        Envelope.model_validate(base | {"time": "2026-01-01T00:00:00Z", "evil": 1})
