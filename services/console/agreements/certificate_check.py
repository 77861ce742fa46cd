"""Whether a destruction certificate is genuine (DPA-13), checked in the console with the key the
agreements service publishes: Ed25519 over the canonical JSON of the statement (sorted keys, no
spaces, UTF-8), the same bytes ``openssl pkeyutl -verify -rawin`` checks. Pure: the page fetches
the published keys and hands them in."""

import base64
import binascii
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

LARGEST = 512 * 1024  # a certificate is a few kilobytes; anything far larger is not one


class Verdict(StrEnum):
    genuine = "genuine"  # signed by pactum's key, not changed since
    changed = "changed"  # the signature does not match: changed, or not signed by this key
    unknown_key = "unknown_key"  # signed with a key pactum does not publish
    unreadable = "unreadable"  # not a certificate as pactum issues them


@dataclass(frozen=True)
class Checked:
    verdict: Verdict
    statement: dict[str, Any] | None = None


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check(document: bytes, keys: list[dict[str, Any]]) -> Checked:
    """The verdict on ``document``, a certificate as downloaded (JSON with ``statement``,
    ``signature`` and ``key_id``), against the published ``keys`` (JWKs)."""
    if not document.strip() or len(document) > LARGEST:
        return Checked(Verdict.unreadable)
    try:
        found = json.loads(document)
    except (UnicodeDecodeError, ValueError):
        return Checked(Verdict.unreadable)
    if not isinstance(found, dict):
        return Checked(Verdict.unreadable)
    statement, signature, key_id = (found.get(k) for k in ("statement", "signature", "key_id"))
    if not isinstance(statement, dict) or not isinstance(signature, str):
        return Checked(Verdict.unreadable)
    key = next((k for k in keys if k.get("kid") == key_id and k.get("crv") == "Ed25519"), None)
    if key is None:
        return Checked(Verdict.unknown_key, statement)
    signed = json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    try:
        public = Ed25519PublicKey.from_public_bytes(_unb64(str(key["x"])))
        public.verify(_unb64(signature), signed.encode())
    except (InvalidSignature, ValueError, binascii.Error):
        return Checked(Verdict.changed, statement)
    return Checked(Verdict.genuine, statement)
