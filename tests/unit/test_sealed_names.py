"""The actor's name sealed for audit (TOM-32a, TOM-T1; issue 15 item 8): shared/sealed_names.py
seals and opens, shared/ingest_keys.py keeps audit's keys, shared/outbox.py seals before a row
is written."""

import base64
import string
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite
from pydantic import ValidationError

from shared.events import Actor, Envelope, new_event
from shared.events.contracts.agreements import AgreementViewed
from shared.ingest_keys import (
    IngestKeyMissing,
    NameOpener,
    NameSealer,
    ensure_pair,
    forget_retired,
    key_ring,
    read_private,
    retired_keys,
    rotate,
)
from shared.outbox import Outbox
from shared.sealed_names import (
    MAX_SEALED_CHARACTERS,
    Unopened,
    binding,
    key_id_in,
    key_id_of,
    open_name,
    seal_name,
)

ORG = "5b0f7c6e-3f7e-4c59-9d55-3c1f1b7a2c11"
OTHER_ORG = "0d1c2b3a-4f5e-4d6c-8b7a-695847362514"
NAME = "Marie-Thérèse Van den Bossche"
EVENT = str(uuid.uuid4())


def _keys() -> tuple[X25519PrivateKey, dict[str, X25519PrivateKey]]:
    key = X25519PrivateKey.generate()
    return key, {key_id_of(key.public_key()): key}


def _seal(key: X25519PrivateKey, name: str = NAME, event_id: str = EVENT) -> str:
    return seal_name(name, key.public_key(), event_id=event_id, tenant=ORG, actor_id="user-7")


def test_a_sealed_name_shows_nothing_of_the_name_and_opens_only_with_audits_key__TOM_32a() -> None:
    key, keys = _keys()
    sealed = _seal(key)
    assert sealed.startswith(f"hpke1.{key_id_of(key.public_key())}.")
    assert "Marie" not in sealed and "Bossche" not in sealed
    assert key_id_in(sealed) == key_id_of(key.public_key())
    assert open_name(sealed, keys, event_id=EVENT, tenant=ORG, actor_id="user-7") == NAME
    assert sealed != _seal(key)  # an ephemeral key per seal: two events are not linkable
    with pytest.raises(Unopened, match="does not hold"):
        open_name(sealed, _keys()[1], event_id=EVENT, tenant=ORG, actor_id="user-7")


@pytest.mark.parametrize(
    "where",
    [
        {"event_id": str(uuid.uuid4()), "tenant": ORG, "actor_id": "user-7"},
        {"event_id": EVENT, "tenant": OTHER_ORG, "actor_id": "user-7"},
        {"event_id": EVENT, "tenant": ORG, "actor_id": "user-8"},
    ],
    ids=["another event", "another tenant", "another actor"],
)
def test_a_sealed_name_moved_to_another_event_does_not_open__TOM_32a(
    where: dict[str, str],
) -> None:
    key, keys = _keys()
    with pytest.raises(Unopened, match="another event, or altered"):
        open_name(_seal(key), keys, **where)


def test_an_altered_sealed_name_does_not_open__TOM_32a() -> None:
    key, keys = _keys()
    sealed = _seal(key)
    head, body = sealed.rsplit(".", 1)
    alphabet = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
    for position in (0, 40, len(body) - 1):  # the ephemeral key, the ciphertext, the tag
        # The character's highest bit flipped: a data bit, also in the last character (whose
        # low bits may be unused). Flipping a low bit there failed one run in sixteen.
        other = alphabet[alphabet.index(body[position]) ^ 0b100000]
        flipped = body[:position] + other + body[position + 1 :]
        with pytest.raises(Unopened):
            open_name(f"{head}.{flipped}", keys, event_id=EVENT, tenant=ORG, actor_id="user-7")


def test_a_sealed_name_opens_only_in_its_one_canonical_encoding__TOM_32a() -> None:
    """base64url's last character may carry unused bits; a text that differs only there names
    the same bytes, and is refused, so that one sealed name has one spelling."""
    key, keys = _keys()
    sealed = _seal(key)
    head, body = sealed.rsplit(".", 1)
    assert len(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))) % 3 != 0
    alphabet = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
    other = alphabet[alphabet.index(body[-1]) ^ 1]  # the lowest bit: unused
    assert base64.urlsafe_b64decode(body[:-1] + other + "=" * (-len(body) % 4)) == (
        base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    )
    with pytest.raises(Unopened, match="canonical"):
        open_name(f"{head}.{body[:-1]}{other}", keys, event_id=EVENT, tenant=ORG, actor_id="user-7")
    for broken in ("", "hpke1.x.y", f"{head}.", f"{head}.{body[:10]}", f"hpke2{sealed[5:]}"):
        with pytest.raises(Unopened):
            open_name(broken, keys, event_id=EVENT, tenant=ORG, actor_id="user-7")


def test_a_name_is_padded_so_its_length_shows_only_to_32_bytes() -> None:
    key, keys = _keys()
    lengths = {len(_seal(key, "A" * size)) for size in range(1, 32)}
    assert len(lengths) == 1
    longest = _seal(key, "黃" * 200)  # the longest name a token carries, 3 bytes a character
    assert len(longest) <= MAX_SEALED_CHARACTERS
    assert open_name(longest, keys, event_id=EVENT, tenant=ORG, actor_id="user-7") == "黃" * 200
    with pytest.raises(ValueError, match="1 to 200 characters"):
        _seal(key, "")


def test_any_rfc_9180_implementation_opens_what_pactum_seals() -> None:
    """The format is plain HPKE single-shot: an external producer may seal with another
    library, and the suite and info documented are all it needs."""
    key = X25519PrivateKey.generate()
    sealed = _seal(key)
    body = sealed.rsplit(".", 1)[1]
    data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    suite = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)
    info = binding(event_id=EVENT, tenant=ORG, actor_id="user-7")
    assert info == f"pactum actorname v1\n{EVENT}\n{ORG}\nuser-7".encode()
    assert suite.decrypt(data, key, info=info).rstrip(b"\x00") == NAME.encode() + b"\x80"


def test_an_envelope_carries_a_clear_or_a_sealed_name_never_both() -> None:
    key, _ = _keys()
    viewed = new_event(
        source="/dpa/agreements",
        type="dpa.agreements.agreement.viewed.v1",
        tenant=ORG,
        actor=Actor(id="user-7", organisation_id=ORG, name=NAME),
        data=AgreementViewed(agreement_id=uuid.uuid4(), fields=["title"]),
    )
    assert viewed.actorname == NAME  # what the producer built; the outbox seals it
    fields = viewed.model_dump(mode="json") | {"actorsealed": _seal(key)}
    with pytest.raises(ValidationError, match="not both"):
        Envelope.model_validate(fields)
    with pytest.raises(ValidationError):
        Envelope.model_validate(fields | {"actorname": None, "actorsealed": "Jan Peeters"})
    # An event published before names were sealed still validates (the transition).
    assert Envelope.model_validate_json(viewed.to_json()).actorname == NAME


def test_the_outbox_writes_the_name_sealed_and_only_audits_key_opens_it__TOM_32a(
    tmp_path: Path,
) -> None:
    key_file, public_file = tmp_path / "audit" / "ingest-key.pem", tmp_path / "ingest.pem"
    ensure_pair(key_file, public_file)
    outbox = Outbox(source="/dpa/agreements", names=NameSealer(public_file))
    viewed = outbox.event(
        type="dpa.agreements.agreement.viewed.v1",
        tenant=ORG,
        actor=Actor(id="user-7", organisation_id=ORG, name=NAME),
        data=AgreementViewed(agreement_id=uuid.uuid4(), fields=["title"]),
    )
    stored = outbox._protected(viewed)
    assert stored.actorname is None and stored.actorsealed is not None
    assert NAME not in stored.to_json().decode()
    opened = NameOpener(key_file).open(
        stored.actorsealed, event_id=str(stored.id), tenant=ORG, actor_id="user-7"
    )
    assert opened == NAME
    # Without a sealer (a command-line tool with no key) the name is dropped, never kept clear.
    bare = Outbox(source="/dpa/agreements")._protected(viewed)
    assert bare.actorname is None and bare.actorsealed is None


def test_a_producer_without_audits_key_does_not_start_in_production(tmp_path: Path) -> None:
    public_file = tmp_path / "var" / "ingest-public-key.pem"
    production = NameSealer.for_producer(
        public_file, environment="production", var_dir=tmp_path / "var"
    )
    with pytest.raises(IngestKeyMissing, match="PACTUM_INGEST_PUBLIC_KEY_FILE"):
        production.load()
    assert not (tmp_path / "var").exists()  # it made no key of its own
    # In development and test the first service to start makes the pair where audit reads it.
    development = NameSealer.for_producer(
        public_file, environment="development", var_dir=tmp_path / "var"
    )
    key_id = development.load()
    private = read_private(tmp_path / "var" / "audit" / "ingest-key.pem")
    assert key_id == key_id_of(private.public_key())
    assert (tmp_path / "var" / "audit" / "ingest-key.pem").stat().st_mode & 0o777 == 0o600
    assert production.load() == key_id


def test_services_starting_together_share_one_ingest_key(tmp_path: Path) -> None:
    key_file, public_file = tmp_path / "audit" / "ingest-key.pem", tmp_path / "ingest.pem"
    ids: list[str] = []

    def start() -> None:
        ids.append(key_id_of(ensure_pair(key_file, public_file).public_key()))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 1
    assert NameSealer(public_file).load() == ids[0]
    assert [p.name for p in key_file.parent.iterdir()] == ["ingest-key.pem"]  # no drafts left


def test_after_a_rotation_names_sealed_to_the_old_key_still_open_until_it_is_forgotten(
    tmp_path: Path,
) -> None:
    key_file, public_file = tmp_path / "audit" / "ingest-key.pem", tmp_path / "ingest.pem"
    ensure_pair(key_file, public_file)
    sealer = NameSealer(public_file, recheck_seconds=0.0)
    opener = NameOpener(key_file)
    before = sealer.seal(NAME, event_id=EVENT, tenant=ORG, actor_id="user-7")
    opener.load()
    retired_at = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    old_id, new_id = rotate(key_file, public_file, now=retired_at)
    assert key_id_in(before) == old_id != new_id
    after = sealer.seal(NAME, event_id=EVENT, tenant=ORG, actor_id="user-7")
    assert key_id_in(after) == new_id  # the producer re-read the public file
    # The running opener learns the new key when an event names it.
    for sealed in (before, after):
        assert opener.open(sealed, event_id=EVENT, tenant=ORG, actor_id="user-7") == NAME
    assert set(key_ring(key_file)) == {old_id, new_id}
    assert [r.key_id for r in retired_keys(key_file)] == [old_id]
    # Kept until the stream's retention has passed since its retirement, then forgotten.
    assert forget_retired(key_file, kept_days=31, now=retired_at + timedelta(days=30)) == []
    assert forget_retired(key_file, kept_days=31, now=retired_at + timedelta(days=32)) == [old_id]
    with pytest.raises(Unopened, match="does not hold"):
        NameOpener(key_file).open(before, event_id=EVENT, tenant=ORG, actor_id="user-7")
