"""Checkpoints as C2SP signed notes (issue 15.2), checked against the reference implementation's
own vector (golang.org/x/mod/sumdb/note, note_test.go: the PeterNeumann key and note)."""

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pactum_verify import notes

GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SIGNER_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n"
    "\u2014 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def _go_private_key() -> Ed25519PrivateKey:
    seed = base64.b64decode(GO_SIGNER_KEY.split("+", 4)[4])  # the key itself may hold a "+"
    assert seed[:1] == notes.ED25519
    return Ed25519PrivateKey.from_private_bytes(seed[1:])


def test_a_note_signed_here_is_byte_for_byte_the_reference_note() -> None:
    key = notes.parse_key(GO_VERIFIER_KEY)
    assert key.name == "PeterNeumann" and key.key_hash.hex() == "c74f20a3"
    assert key.text == GO_VERIFIER_KEY
    private = _go_private_key()
    assert notes.note_key("PeterNeumann", key.public_raw) == key
    assert notes.sign(GO_TEXT, key, private.sign) == GO_NOTE
    assert notes.open_note(GO_NOTE, [key]) == GO_TEXT


@pytest.mark.parametrize(
    "forged",
    [
        GO_NOTE.replace("cryptography", "cryptographY"),
        GO_NOTE.replace("x08go", "x08gp"),
        GO_NOTE.replace("\n\n", "\n"),
        GO_NOTE.replace("\u2014", "-"),
        GO_NOTE.replace("PeterNeumann x08", "PeterNeumann !x08"),
    ],
)
def test_a_changed_note_is_refused(forged: str) -> None:
    with pytest.raises(notes.NoteRefused):
        notes.open_note(forged, [notes.parse_key(GO_VERIFIER_KEY)])


def test_a_note_by_an_unknown_key_is_refused_and_other_signatures_are_ignored() -> None:
    mine = Ed25519PrivateKey.generate()
    raw = mine.public_key().public_bytes_raw()
    other = notes.note_key("pactum.example/audit", raw)
    with pytest.raises(notes.NoteRefused, match="no signature by a known key"):
        notes.open_note(GO_NOTE, [other])
    cosigned = notes.sign(GO_TEXT, other, mine.sign)
    both = GO_NOTE + cosigned.rsplit("\n\n", 1)[1]
    assert notes.open_note(both, [other]) == GO_TEXT
    assert notes.open_note(both, [notes.parse_key(GO_VERIFIER_KEY)]) == GO_TEXT


@pytest.mark.parametrize(
    "key",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong hash
        "PeterNeumann+c74f20a3+AhpjZHENUDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # not Ed25519
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3",
    ],
)
def test_a_malformed_verifier_key_is_refused(key: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (each malformation has its own message)
        notes.parse_key(key)


def test_a_checkpoint_note_states_origin_size_and_root() -> None:
    private = Ed25519PrivateKey.generate()
    key = notes.note_key("pactum.example/audit", private.public_key().public_bytes_raw())
    root = bytes(range(32))
    text = notes.checkpoint_text("pactum.example/audit/org-1", 42, root)
    assert text == f"pactum.example/audit/org-1\n42\n{base64.b64encode(root).decode()}\n"
    signed = notes.sign(text, key, private.sign)
    assert notes.open_checkpoint(signed, [key], origin="pactum.example/audit/org-1") == (
        notes.Checkpoint("pactum.example/audit/org-1", 42, root)
    )
    with pytest.raises(notes.NoteRefused, match=r"not pactum\.example/audit/org-2"):
        notes.open_checkpoint(signed, [key], origin="pactum.example/audit/org-2")
    for body in ("origin\n042\nAAAA\n", "origin\n1\nAAAA\n", "origin\n1\n"):
        with pytest.raises(notes.NoteRefused):
            notes.parse_checkpoint(body)
