"""Signed checkpoints with a published key, inclusion and consistency proofs that a customer
checks with nothing but RFC 9162 and the public key (TOM-T3b, DPA-11, ASVS 16.4.2)."""

import asyncio
import base64
import json
import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pactum_verify import merkle
from pactum_verify.keys import checkpoint_note, signature_holds

from services.audit.checkpoints import checkpoint_due
from tests.audit.conftest import Producer, entries_of, event, reader
from tests.support.platform import Platform, eventually


async def test_checkpoints_are_signed_with_the_published_key__DPA_11(
    audit: Platform, producer: Producer
) -> None:
    organisation = str(uuid.uuid4())
    await producer.send(*(event(organisation) for _ in range(3)))
    await entries_of(audit, organisation, 3)
    client = audit.clients["audit"]
    key = (await client.get("/audit/checkpoint-key")).json()
    signed = (await client.post("/audit/checkpoints", headers=reader(audit, organisation))).json()
    assert signed["size"] == 3
    note = checkpoint_note(
        organisation_id=organisation,
        size=3,
        root=bytes.fromhex(signed["root"]),
        signed_at=signed["signed_at"],
    )
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
    public.verify(base64.b64decode(signed["signature"]), note)  # raises if forged
    assert signature_holds(signed, key["public_key"])
    assert not signature_holds(signed | {"size": 4}, key["public_key"])
    latest = await client.get("/audit/checkpoints/latest", headers=reader(audit, organisation))
    assert latest.json() == signed


async def test_inclusion_proof_of_every_entry_verifies_against_the_checkpoint__DPA_11(
    audit: Platform, producer: Producer
) -> None:
    organisation = str(uuid.uuid4())
    await producer.send(*(event(organisation) for _ in range(37)))
    entries = await entries_of(audit, organisation, 37)
    client, headers = audit.clients["audit"], reader(audit, organisation)
    for entry in entries[::6]:
        proof = await client.get(f"/audit/proofs/inclusion/{entry.log_index}", headers=headers)
        body = proof.json()
        root = bytes.fromhex(body["checkpoint"]["root"])
        path = [bytes.fromhex(step) for step in body["path"]]
        leaf = bytes.fromhex(body["leaf_hash"])
        assert body["leaf_hash"] == entry.leaf_hash
        assert merkle.verify_inclusion(entry.log_index, body["tree_size"], leaf, path, root)
        assert not merkle.verify_inclusion(
            (entry.log_index + 1) % body["tree_size"], body["tree_size"], leaf, path, root
        )
    for index in ("100000", "-1", "99999999999999999999"):
        missing = await client.get(f"/audit/proofs/inclusion/{index}", headers=headers)
        assert missing.status_code in (404, 422), index
    reads = await eventually(
        lambda: audit.audit_entries(
            organisation_id=organisation, event_type="dpa.audit.proof.viewed.v1"
        )
    )
    assert reads[0].data["proof"] == "inclusion"


async def test_consistency_proof_shows_the_older_checkpoint_is_a_prefix__DPA_11(
    audit: Platform, producer: Producer
) -> None:
    organisation = str(uuid.uuid4())
    client, headers = audit.clients["audit"], reader(audit, organisation)
    await producer.send(*(event(organisation) for _ in range(5)))
    await entries_of(audit, organisation, 5)
    older = (await client.post("/audit/checkpoints", headers=headers)).json()
    await producer.send(*(event(organisation) for _ in range(13)))
    await entries_of(audit, organisation, 18)
    newer = (await client.post("/audit/checkpoints", headers=headers)).json()
    response = await client.get(
        f"/audit/proofs/consistency?first={older['size']}&second={newer['size']}",
        headers=headers,
    )
    assert response.status_code == 200
    path = [bytes.fromhex(step) for step in response.json()["path"]]
    assert merkle.verify_consistency(
        older["size"],
        newer["size"],
        bytes.fromhex(older["root"]),
        bytes.fromhex(newer["root"]),
        path,
    )
    assert not merkle.verify_consistency(
        older["size"],
        newer["size"],
        merkle.leaf_hash(b"forged"),
        bytes.fromhex(newer["root"]),
        path,
    )
    for query, status in [
        ("first=3&second=2", 422),
        ("first=4&second=18", 404),
        ("first=x", 422),
        ("first=1&second=99999999999999999999", 422),
    ]:
        bad = await client.get(f"/audit/proofs/consistency?{query}", headers=headers)
        assert bad.status_code == status, query


async def test_periodic_checkpoints_sign_only_grown_logs(
    audit: Platform, producer: Producer
) -> None:
    organisation = str(uuid.uuid4())
    await producer.send(event(organisation))
    await entries_of(audit, organisation, 1)
    runtime = audit.runtime("audit")
    signer = audit.apps["audit"].state.checkpoint_signer
    assert await checkpoint_due(runtime.sessions, signer) >= 1
    assert await checkpoint_due(runtime.sessions, signer) == 0


async def test_a_proof_and_a_whole_log_check_at_once_sign_one_checkpoint_of_a_size__DPA_11(
    audit: Platform, producer: Producer
) -> None:
    """A person's entry page asked for both at the same moment: on SQLite, whose FOR UPDATE is a
    no-op, both signed the same size, and every later export of that log failed to verify."""
    organisation = str(uuid.uuid4())
    await producer.send(*(event(organisation) for _ in range(5)))
    await entries_of(audit, organisation, 5)
    client, headers = audit.clients["audit"], reader(audit, organisation)
    for _round in range(3):
        answers = await asyncio.gather(
            client.get("/audit/proofs/inclusion/1", headers=headers),
            client.get("/audit/verification", headers=headers),
            client.post("/audit/checkpoints", headers=headers),
            client.get("/audit/proofs/inclusion/3", headers=headers),
        )
        assert all(answer.status_code < 300 for answer in answers), [a.text for a in answers]
    export = await client.get("/audit/export", headers=headers)
    sizes = [point["size"] for point in json.loads(export.text.splitlines()[0])["checkpoints"]]
    assert sizes == sorted(set(sizes)), sizes
