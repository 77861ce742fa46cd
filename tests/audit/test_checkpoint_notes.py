"""Checkpoints in the standard format (issue 15.2, DPA-11, TOM-T3b): each organisation's latest
checkpoint is served as a C2SP tlog-checkpoint signed note, next to the JSON form, to the
organisation and to the other party of its agreements, who pin it with the published note key."""

import base64
import uuid

from pactum_verify import notes
from sqlalchemy import insert

from services.audit.store import AuditCheckpoint
from tests.audit.conftest import Producer, entries_of, event, reader
from tests.support.platform import Platform

ORIGIN = "pactum.localhost/audit"


async def test_the_latest_checkpoint_is_a_signed_note_its_controller_can_pin__DPA_11(
    audit: Platform, producer: Producer
) -> None:
    controller, processor, stranger = (str(uuid.uuid4()) for _ in range(3))
    agreement = str(uuid.uuid4())
    await producer.send(
        event(
            processor,
            type="dpa.agreements.agreement.created.v1",
            data={
                "agreement_id": agreement,
                "controller_id": controller,
                "processor_id": processor,
            },
        ),
        *(
            event(processor, data={"agreement_id": agreement, "fields": ["annex"]})
            for _ in range(4)
        ),
        event(stranger),
    )
    await entries_of(audit, processor, 5)
    await entries_of(audit, stranger, 1)
    client = audit.clients["audit"]
    # No checkpoint asked for: the note is signed when it is fetched.
    path = f"/audit/organisations/{processor}/checkpoint"
    first = await client.get(path, headers=reader(audit, controller))
    assert first.status_code == 200
    signed = (await client.post("/audit/checkpoints", headers=reader(audit, processor))).json()
    published = (await client.get("/audit/checkpoint-key")).json()
    assert published["log_origin"] == ORIGIN
    key = notes.parse_key(published["note_verifier_key"])
    assert base64.b64encode(key.public_raw).decode() == published["public_key"]

    for organisation in (processor, controller):  # the log's own, and its controller's view
        answer = await client.get(path, headers=reader(audit, organisation))
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "text/plain; charset=utf-8"
        pinned = notes.open_checkpoint(answer.text, [key], origin=f"{ORIGIN}/{processor}")
        assert (pinned.size, pinned.root.hex()) == (signed["size"], signed["root"])
    json_form = await client.get("/audit/checkpoints/latest", headers=reader(audit, processor))
    assert json_form.json() == signed  # the JSON form stays beside it

    for caller, asked in (
        (stranger, processor),  # no agreement with the processor
        (processor, stranger),
        (stranger, "not-an-organisation"),
        (controller, controller),  # its own log is empty: no checkpoint yet
    ):
        refused = await client.get(
            f"/audit/organisations/{asked}/checkpoint", headers=reader(audit, caller)
        )
        assert refused.status_code == 404, (caller, asked)
    assert (await client.get(path)).status_code == 401
    assert notes.open_checkpoint(first.text, [key]).size == signed["size"]


async def test_a_checkpoint_signed_before_notes_is_served_as_a_note_once_it_holds(
    audit: Platform, producer: Producer
) -> None:
    organisation = str(uuid.uuid4())
    await producer.send(event(organisation), event(organisation))
    await entries_of(audit, organisation, 2)
    client = audit.clients["audit"]
    signed = (await client.post("/audit/checkpoints", headers=reader(audit, organisation))).json()
    key = notes.parse_key((await client.get("/audit/checkpoint-key")).json()["note_verifier_key"])
    async with audit.runtime("audit").sessions() as session, session.begin():
        # As an earlier version stored it: the JSON signature only (a copy of the same head).
        await session.execute(insert(AuditCheckpoint).values(**signed, note_signature=None))
    path = f"/audit/organisations/{organisation}/checkpoint"
    answer = await client.get(path, headers=reader(audit, organisation))
    assert answer.status_code == 200
    assert notes.open_checkpoint(answer.text, [key]).size == 2
    async with audit.runtime("audit").sessions() as session, session.begin():
        await session.execute(
            insert(AuditCheckpoint).values(**signed | {"root": "00" * 32}, note_signature=None)
        )  # a forged head: its JSON signature does not hold, so no note is signed for it
    assert (await client.get(path, headers=reader(audit, organisation))).status_code == 409
