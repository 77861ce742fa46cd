"""Entries a person can read (TOM-T3b, issue 15.1): each entry says what happened as a sentence in
the reader's language, naming its actor and the actor's organisation as they were when the entry
was written; the names are sealed, so erasure turns them into a pseudonym; the CSV export is
flat."""

import csv
import io
import uuid

from pactum_verify.export import verify_export

from shared.auth import Role
from tests.audit.conftest import Producer, entries_of, event, reader
from tests.support.platform import Platform

JAN = "Jan Peeters"
IBEAUTY = "iBeauty BVBA"


async def _named_organisation(producer: Producer, organisation: str, name: str) -> None:
    await producer.send(
        event(
            organisation,
            type="dpa.identity.organisation.created.v1",
            actor="system:identity",
            actor_type="system",
            actor_organisation="",
            subject=organisation,
            data={"organisation_id": organisation, "kind": "processor", "name": name},
        )
    )


async def test_an_entry_reads_as_a_sentence_in_the_callers_language__TOM_T3b(
    audit: Platform, producer: Producer
) -> None:
    controller, processor, grant = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    await _named_organisation(producer, processor, IBEAUTY)
    await entries_of(audit, processor, 1)
    await producer.send(
        event(
            controller,
            actor="jan",
            actor_name=JAN,
            actor_organisation=processor,
            actor_type="operator",
            grant=grant,
            subject="agreement-7",
        )
    )
    [stored] = await entries_of(audit, controller, 1)
    assert JAN not in stored.model_dump_json() and IBEAUTY not in stored.model_dump_json()
    client, headers = audit.clients["audit"], reader(audit, controller)

    english = (await client.get("/audit/entries?actor=jan&lang=en", headers=headers)).json()[
        "items"
    ][0]
    assert english["sentence"] == (
        f"{JAN} ({IBEAUTY}, supplier intervention under grant {grant}) viewed the agreement "
        "'agreement-7'."
    )
    assert english["personal_data"] == {"actor_name": JAN, "actor_organisation_name": IBEAUTY}
    dutch = (
        await client.get(
            "/audit/entries?actor=jan", headers=headers | {"Accept-Language": "nl-BE,nl;q=0.9"}
        )
    ).json()["items"][0]
    assert dutch["sentence"] == (
        f"{JAN} ({IBEAUTY}, tussenkomst van de leverancier onder machtiging {grant}) bekeek de "
        "overeenkomst 'agreement-7'."
    )
    french = (
        await client.get(
            "/audit/entries?actor=jan&lang=fr", headers=headers | {"Accept-Language": "nl"}
        )
    ).json()["items"][0]
    assert french["sentence"].startswith(f"{JAN} ({IBEAUTY}, intervention du fournisseur")
    assert french["sentence"].endswith("a consulté l'accord 'agreement-7'.")


async def test_an_unknown_language_is_refused_and_a_system_entry_names_pactum(
    audit: Platform, producer: Producer
) -> None:
    organisation = str(uuid.uuid4())
    await producer.send(
        event(organisation, actor="system:agreements", actor_type="system", outcome="failed")
    )
    await entries_of(audit, organisation, 1)
    client, headers = audit.clients["audit"], reader(audit, organisation)
    refused = await client.get("/audit/entries?lang=de", headers=headers)
    assert refused.status_code == 422
    shown = (
        await client.get("/audit/entries?actor=system:agreements&lang=nl", headers=headers)
    ).json()["items"][0]
    assert shown["sentence"].startswith("Het pactum-systeem bekeek de overeenkomst")
    assert shown["sentence"].endswith(" (mislukt).")


async def test_erasure_turns_the_actors_name_into_a_pseudonym__TOM_T1(
    audit: Platform, producer: Producer
) -> None:
    organisation = str(uuid.uuid4())
    await _named_organisation(producer, organisation, IBEAUTY)
    await producer.send(event(organisation, actor="jan", actor_name=JAN))
    await entries_of(audit, organisation, 2)
    client, headers = audit.clients["audit"], reader(audit, organisation)
    before = (await client.get("/audit/entries?actor=jan", headers=headers)).json()["items"][0]
    assert before["sentence"].startswith(f"{JAN} ({IBEAUTY}) viewed")
    erased = await client.post(
        "/audit/erasures",
        json={"subject_id": "jan"},
        headers=audit.auth(organisation, [Role.admin]),
    )
    assert erased.status_code == 201
    after = (await client.get("/audit/entries?actor=jan", headers=headers)).json()["items"][0]
    assert after["sentence"].startswith(f"{after['pseudonym']} viewed the agreement")
    assert JAN not in after["sentence"] and IBEAUTY not in after["sentence"]
    lines = (await client.get("/audit/export", headers=headers)).text
    assert JAN not in lines
    key = (await client.get("/audit/checkpoint-key")).json()["public_key"]
    assert verify_export(lines.splitlines(), public_key=key).valid


async def test_csv_export_has_flat_columns_and_sentences__TOM_T4(
    audit: Platform, producer: Producer
) -> None:
    organisation = str(uuid.uuid4())
    await _named_organisation(producer, organisation, IBEAUTY)
    await producer.send(event(organisation, actor="jan", actor_name=JAN, subject="agreement-7"))
    await entries_of(audit, organisation, 2)
    response = await audit.clients["audit"].get(
        "/audit/export?format=csv&lang=nl&actor=jan", headers=reader(audit, organisation)
    )
    assert response.status_code == 200
    [row] = list(csv.DictReader(io.StringIO(response.text)))
    assert list(row) == [
        "time",
        "actor",
        "organisation",
        "action",
        "record",
        "sentence",
        "supplier intervention",
        "trace id",
    ]
    assert row["actor"] == JAN and row["organisation"] == IBEAUTY
    assert row["action"] == "dpa.agreements.agreement.viewed.v1" and row["record"] == "agreement-7"
    assert row["sentence"] == f"{JAN} ({IBEAUTY}) bekeek de overeenkomst 'agreement-7'."
    assert row["supplier intervention"] == "no"
    assert row["trace id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert row["time"].endswith(("+01:00", "+02:00"))  # Brussels time
    assert not any(cell.startswith(("{", "[")) for cell in row.values())
