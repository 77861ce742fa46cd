"""Checkpoint keys and the JSON form of a signed checkpoint.

A checkpoint key is an Ed25519 key, named by ``key_id`` (the first 16 hex digits of SHA-256 of its
raw public key). A key set maps ids to public keys with their validity: from ``valid_from`` (None:
since the log began) until ``retired_at`` (None: the current key). A checkpoint in JSON form
(``organisation_id``, ``size``, ``root``, ``signed_at``, ``key_id``, ``signature``) holds when the
key its ``key_id`` names signed :func:`checkpoint_note` of it, no later than that key's
retirement. Pure: only ``cryptography``.
"""

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def checkpoint_note(*, organisation_id: str, size: int, root: bytes, signed_at: str) -> bytes:
    """The signed text of a checkpoint's JSON form."""
    return (
        f"pactum audit log {organisation_id}\n{size}\n"
        f"{base64.b64encode(root).decode()}\n{signed_at}\n"
    ).encode()


def key_id_of(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


@dataclass(frozen=True)
class PublicKey:
    """A checkpoint key's public half and when it signed: from ``valid_from`` (None: since the
    log began) until ``retired_at`` (None: the current key)."""

    key_id: str
    public_key: str
    valid_from: str | None = None
    retired_at: str | None = None

    def published(self) -> dict[str, object]:
        return {
            "algorithm": "Ed25519",
            "key_id": self.key_id,
            "public_key": self.public_key,
            "valid_from": self.valid_from,
            "retired_at": self.retired_at,
            "status": "retired" if self.retired_at else "current",
        }


KeySet = dict[str, PublicKey]


def key_set_of(value: object) -> KeySet:
    """A key set from what a verifier is given: one public key (base64), a list of them, the
    published document of ``GET /audit/checkpoint-key`` or an export header's ``keys``."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        raw = base64.b64decode(value, validate=True)
        Ed25519PublicKey.from_public_bytes(raw)  # ValueError unless a 32-byte Ed25519 key
        return {key_id_of(raw): PublicKey(key_id_of(raw), value)}
    if isinstance(value, dict) and "keys" in value:
        return key_set_of(value["keys"])
    if isinstance(value, dict) and "public_key" in value:
        single = key_set_of(str(value["public_key"]))
        (key,) = single.values()
        if "key_id" in value and str(value["key_id"]) != key.key_id:
            raise ValueError(f"key {value['key_id']} does not match its public key")
        retired = value.get("retired_at")
        valid_from = value.get("valid_from")
        return {
            key.key_id: PublicKey(
                key.key_id,
                key.public_key,
                str(valid_from) if valid_from else None,
                str(retired) if retired else None,
            )
        }
    if isinstance(value, list):
        keys: KeySet = {}
        for item in value:
            keys.update(key_set_of(item))
        return keys
    raise ValueError("not a public key, a list of keys or a published key document")


def signature_holds(checkpoint: dict[str, object], public_key: str) -> bool:
    """Does this checkpoint (as published) carry a valid signature by ``public_key``?"""
    try:
        note = checkpoint_note(
            organisation_id=str(checkpoint["organisation_id"]),
            size=int(str(checkpoint["size"])),
            root=bytes.fromhex(str(checkpoint["root"])),
            signed_at=str(checkpoint["signed_at"]),
        )
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key))
        key.verify(base64.b64decode(str(checkpoint["signature"])), note)
    except (InvalidSignature, KeyError, ValueError, TypeError):
        return False
    return True


def checkpoint_problem(checkpoint: dict[str, object], keys: KeySet) -> str | None:
    """Why this checkpoint does not hold under ``keys``, checked by the key its ``key_id`` names
    (unknown key, signed after that key's retirement, bad signature); None when it holds."""
    size = checkpoint.get("size")
    key = keys.get(str(checkpoint.get("key_id")))
    if key is None:
        return f"checkpoint of size {size} names an unknown key {checkpoint.get('key_id')}"
    if key.retired_at is not None and str(checkpoint.get("signed_at")) > key.retired_at:
        return f"checkpoint of size {size} is signed by key {key.key_id} after its retirement"
    if not signature_holds(checkpoint, key.public_key):
        return f"checkpoint of size {size} is not validly signed"
    return None
