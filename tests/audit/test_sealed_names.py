"""The actor's name reaches the audit log sealed, and only there is it opened (TOM-32a, TOM-T1;
issue 15 item 8).

A person's read in agreements leaves the service with her name sealed to audit's ingest key
(``actorsealed``): the outbox row, the message on the stream and the log lines hold no clear
name, and her organisation's log still names her. A sealed name moved to another event, altered,
or sealed to a key audit does not hold is rejected at ingest with a logged reason: nothing is
stored, and the consumer goes on. After a rotation of the ingest key, names sealed to the old key
and to the new one both open. (A clear ``actorname``, as events published before carry it, is
still read: tests/audit/test_sentences.py sends those.)
"""

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select
from sqlmodel import col

from shared.auth import Role
from shared.events import Envelope
from shared.ingest_keys import read_public, rotate
from shared.outbox import OutboxMessage
from shared.sealed_names import seal_name
from tests.audit.conftest import Producer, entries_of, event, reader
from tests.support.databases import Database
from tests.support.nats import NatsServer
from tests.support.platform import Platform, eventually
from tests.support.secrets_scan import stream_messages

NAME = "Griet Vandenplas-Sealtest"


def _sealed(envelope: Envelope, name: str, key: object) -> Envelope:
    """``envelope`` with ``name`` sealed for it to ``key`` (audit's public ingest key)."""
    sealed = seal_name(
        name,
        key,  # type: ignore[arg-type]
        event_id=str(envelope.id),
        tenant=envelope.tenantid,
        actor_id=envelope.actorid,
    )
    return envelope.model_copy(update={"actorsealed": sealed})


def _ingest_key(platform: Platform) -> object:
    return read_public(platform.runtime("audit").settings.ingest_public_key_path)


@pytest.mark.timeout(90)
async def test_a_named_persons_read_leaves_the_service_with_her_name_sealed_and_her_log_names_her__TOM_32a(  # noqa: E501
    nats_server: NatsServer,
    database: Callable[[str], Database],
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    platform = Platform(nats_url=nats_server.url, database=database, var_dir=tmp_path / "var")
    await platform.start("agreements", "audit")
    organisation = str(uuid.uuid4())
    try:
        token = platform.signer.issue(
            user_id="griet", organisation_id=organisation, roles=[Role.admin], name=NAME
        )
        listed = await platform.clients["agreements"].get(
            "/agreements", headers={"Authorization": f"Bearer {token}"}
        )
        assert listed.status_code == 200, listed.text

        # Her organisation's log names her, in the sentence and in the opened personal data.
        async def hers() -> list[dict[str, object]]:
            answer = await platform.clients["audit"].get(
                "/audit/entries?actor=griet&lang=en", headers=reader(platform, organisation)
            )
            assert answer.status_code == 200, answer.text
            items: list[dict[str, object]] = answer.json()["items"]
            return items

        [entry] = await eventually(hers, within=30.0)
        assert str(entry["sentence"]).startswith(f"{NAME} "), entry["sentence"]
        assert entry["personal_data"]["actor_name"] == NAME  # type: ignore[index]

        # Agreements' outbox row carries the sealed name, never the name.
        async with platform.runtime("agreements").sessions() as session:
            rows = list((await session.scalars(select(col(OutboxMessage.envelope)))).all())
        hers_stored = [json.loads(row) for row in rows if '"actorid":"griet"' in row]
        assert hers_stored
        for stored in hers_stored:
            assert "actorname" not in stored
            assert stored["actorsealed"].startswith("hpke1.")
        assert [row for row in rows if NAME in row] == []
        # Nor does any table of audit hold it in clear (the entry holds it sealed).
        async with platform.runtime("audit").sessions() as session:
            for table in platform.runtime("audit").tables:
                held = (await session.execute(select(table))).all()
                assert not any(NAME in str(tuple(row)) for row in held), table.name
    finally:
        await platform.stop()

    # The stream: the event, as every consumer reads it, carries the sealed name only.
    messages = await stream_messages(nats_server.url)
    assert any('"actorsealed":"hpke1.' in text and "griet" in text for _, text in messages)
    assert [where for where, text in messages if NAME in text] == []
    # And nothing the services logged holds it.
    logged = capfd.readouterr()
    assert NAME not in logged.out + logged.err


async def test_a_sealed_name_moved_to_another_event_or_altered_is_rejected_and_nothing_is_stored__TOM_32a(  # noqa: E501
    audit: Platform, producer: Producer, capfd: pytest.CaptureFixture[str]
) -> None:
    organisation = str(uuid.uuid4())
    key = _ingest_key(audit)
    elsewhere = _sealed(event(organisation, actor="jan"), NAME, key)
    moved = event(organisation, actor="jan").model_copy(
        update={"actorsealed": elsewhere.actorsealed}
    )
    genuine = _sealed(event(organisation, actor="jan"), NAME, key)
    assert genuine.actorsealed is not None
    head, body = genuine.actorsealed.rsplit(".", 1)
    flipped = body[:50] + ("A" if body[50] != "A" else "B") + body[51:]
    altered = _sealed(event(organisation, actor="jan"), NAME, key).model_copy(
        update={"actorsealed": f"{head}.{flipped}"}
    )
    stranger = X25519PrivateKey.generate().public_key()  # not audit's key
    foreign = _sealed(event(organisation, actor="jan"), NAME, stranger)
    consumer = audit.apps["audit"].state.audit_consumer
    rejected_before = consumer.tally.rejected

    await producer.send(moved, altered, foreign, genuine)

    # The consumer went on: the genuine event, sent last, is the organisation's only entry.
    [entry] = await entries_of(audit, organisation, 1)
    assert entry.event_id == genuine.id and entry.log_index == 0
    assert consumer.tally.rejected - rejected_before == 3
    shown = (
        await audit.clients["audit"].get(
            "/audit/entries?lang=en", headers=reader(audit, organisation)
        )
    ).json()["items"]
    assert [item["event_id"] for item in shown] == [str(genuine.id)]
    assert shown[0]["sentence"].startswith(f"{NAME} viewed the agreement")
    # Each rejection is logged with its reason and the event's id, never with a name.
    lines = capfd.readouterr().out
    rejections = [line for line in lines.splitlines() if "event.rejected" in line]
    for sent in (moved, altered, foreign):
        [line] = [line for line in rejections if str(sent.id) in line]
        assert "actorsealed:" in line
    assert sum("sealed for another event, or altered" in line for line in rejections) == 2
    assert any("which audit does not hold" in line for line in rejections)
    assert NAME not in lines


async def test_after_a_rotation_names_sealed_to_the_old_and_to_the_new_ingest_key_both_open(
    audit: Platform, producer: Producer
) -> None:
    organisation = str(uuid.uuid4())
    settings = audit.runtime("audit").settings
    before = _sealed(event(organisation, actor="jan"), NAME, _ingest_key(audit))
    key_file = settings.var_dir / "audit" / "ingest-key.pem"
    old_id, new_id = rotate(key_file, settings.ingest_public_key_path)
    after = _sealed(event(organisation, actor="jan"), "Jan Peeters", _ingest_key(audit))
    assert after.actorsealed is not None and f".{new_id}." in after.actorsealed
    assert before.actorsealed is not None and f".{old_id}." in before.actorsealed
    # The running audit learns the new key when an event names it; the old one it kept.
    await producer.send(after, before)
    entries = await entries_of(audit, organisation, 2)
    assert [entry.event_id for entry in entries] == [after.id, before.id]
    shown = (
        await audit.clients["audit"].get(
            "/audit/entries?lang=en", headers=reader(audit, organisation)
        )
    ).json()["items"]
    assert {item["personal_data"]["actor_name"] for item in shown} == {NAME, "Jan Peeters"}
