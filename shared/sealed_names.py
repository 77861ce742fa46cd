"""The actor's name sealed for audit, so no clear copy leaves a service (TOM-32a, TOM-T1).

An event names the person who caused it (the token's ``name`` claim) so that the audit log can
say who acted. The name is personal data, and an envelope is copied to every service's outbox and
to the stream for up to 30 days: the producing service therefore never writes the name itself,
but ``actorsealed``, the name encrypted to the audit service's ingest key, which only audit can
open (and does at ingest, to seal it again under the organisation's key for the month: what
erasure destroys).

The sealing is HPKE (RFC 9180) in base mode with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and
AES-256-GCM, one message per key schedule (``cryptography``'s ``hpke.Suite``): an ephemeral
X25519 key per name, so two events of one person carry unrelated values. The HPKE ``info`` is
the event's identity (:func:`binding`: its id, tenant and actor id), so a sealed name opens only
in the event it was sealed for; moved to another event, or altered by one bit, it does not open.

The sealed value is ``hpke1.<key id>.<base64url of enc || ciphertext>``: the key id (16 hex
characters, :func:`key_id_of`) tells audit which of its keys (the current one or one kept after a
rotation) opens it. The name is padded (``0x80`` then zero bytes, ISO/IEC 7816-4) to a multiple
of 32 bytes before sealing, so the value does not tell a name's length to the byte.

Pure: nothing here reads a file, a clock or a setting (shared/ingest_keys.py keeps the keys).
"""

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

SCHEME = "hpke1"
SUITE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)
KEY_ID_CHARACTERS = 16
PAD_BLOCK = 32  # a sealed name tells its length only to this many bytes
MAX_NAME_CHARACTERS = 200  # the longest display name a token carries (shared/auth.py)
# enc (32) + padded name (at most 4 bytes a character, then at least one byte of padding) + tag
_MAX_SEALED_BYTES = 32 + (4 * MAX_NAME_CHARACTERS // PAD_BLOCK + 1) * PAD_BLOCK + 16
MAX_SEALED_CHARACTERS = len(SCHEME) + 1 + KEY_ID_CHARACTERS + 1 + -(-_MAX_SEALED_BYTES * 4 // 3)
SEALED_PATTERN = rf"^{SCHEME}\.[0-9a-f]{{{KEY_ID_CHARACTERS}}}\.[A-Za-z0-9_-]+$"
_SEALED = re.compile(SEALED_PATTERN)
_INFO_LABEL = b"pactum actorname v1"


class Unopened(ValueError):
    """A sealed name that does not open here; ``reason`` says why (never what it held)."""

    def __init__(self, reason: str, *, key_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.key_id = key_id


def raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_of(key: X25519PublicKey) -> str:
    """The key's id: the first 8 bytes of the SHA-256 of its raw 32 bytes, in hex."""
    return hashlib.sha256(raw_public(key)).hexdigest()[:KEY_ID_CHARACTERS]


def binding(*, event_id: str, tenant: str, actor_id: str) -> bytes:
    """The HPKE ``info`` that ties a sealed name to its event: a label, then the envelope's
    ``id`` (as its 36-character text), ``tenantid`` and ``actorid``, one per line (the first
    three hold no line break; the actor id, last, is taken as it is)."""
    return b"\n".join((_INFO_LABEL, event_id.encode(), tenant.encode(), actor_id.encode()))


def _padded(name: str) -> bytes:
    data = name.encode() + b"\x80"
    return data + b"\x00" * (-len(data) % PAD_BLOCK)


def _unpadded(data: bytes) -> str:
    if not data or len(data) % PAD_BLOCK:
        raise Unopened("the sealed name is not padded to its block")
    end = data.rstrip(b"\x00")
    if not end.endswith(b"\x80"):
        raise Unopened("the sealed name is not padded to its block")
    try:
        return end[:-1].decode()
    except UnicodeDecodeError:
        raise Unopened("the sealed name is not UTF-8") from None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    """The bytes of ``text``, which must be their one canonical unpadded base64url form: the
    decoder alone ignores a last character's unused low bits, so two texts would open alike."""
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise Unopened("the sealed name is not base64url") from None
    if _b64(data) != text:
        raise Unopened("the sealed name is not canonical base64url")
    return data


def seal_name(name: str, key: X25519PublicKey, *, event_id: str, tenant: str, actor_id: str) -> str:
    """``name`` sealed to ``key`` (audit's ingest key) for the event ``event_id`` of ``tenant``
    caused by ``actor_id``."""
    if not name or len(name) > MAX_NAME_CHARACTERS:
        raise ValueError(f"a name to seal has 1 to {MAX_NAME_CHARACTERS} characters")
    sealed = SUITE.encrypt(
        _padded(name), key, info=binding(event_id=event_id, tenant=tenant, actor_id=actor_id)
    )
    return f"{SCHEME}.{key_id_of(key)}.{_b64(sealed)}"


def key_id_in(sealed: str) -> str:
    """The id of the key ``sealed`` was sealed to; :class:`Unopened` if it is no sealed name."""
    if len(sealed) > MAX_SEALED_CHARACTERS or not _SEALED.match(sealed):
        raise Unopened(f"not a sealed name ({SCHEME}.<key id>.<base64url>)")
    return sealed.split(".", 2)[1]


def open_name(
    sealed: str,
    keys: Mapping[str, X25519PrivateKey],
    *,
    event_id: str,
    tenant: str,
    actor_id: str,
) -> str:
    """The name ``sealed`` holds, opened with the key its id names among ``keys`` (audit's
    ingest keys by id), for the event ``event_id`` of ``tenant`` caused by ``actor_id``.

    :class:`Unopened` when it cannot be: malformed, sealed to a key not in ``keys``, sealed for
    another event (or actor, or tenant), or altered."""
    key_id = key_id_in(sealed)
    key = keys.get(key_id)
    if key is None:
        raise Unopened(f"sealed to ingest key {key_id}, which audit does not hold", key_id=key_id)
    data = _unb64(sealed.split(".", 2)[2])
    try:
        padded = SUITE.decrypt(
            data, key, info=binding(event_id=event_id, tenant=tenant, actor_id=actor_id)
        )
    except (InvalidTag, ValueError):
        raise Unopened(
            "the sealed name does not open: sealed for another event, or altered", key_id=key_id
        ) from None
    name = _unpadded(padded)
    if not name or len(name) > MAX_NAME_CHARACTERS:
        raise Unopened("the sealed name is empty or too long", key_id=key_id)
    return name


__all__ = [
    "MAX_SEALED_CHARACTERS",
    "SEALED_PATTERN",
    "Unopened",
    "binding",
    "key_id_in",
    "key_id_of",
    "open_name",
    "seal_name",
]
