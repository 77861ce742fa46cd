"""Checkpoints as C2SP signed notes, so that standard transparency-log tooling checks them.

A checkpoint (https://c2sp.org/tlog-checkpoint) is the text ``<origin>\\n<tree size>\\n<base64 root
hash>\\n``; a signed note (https://c2sp.org/signed-note) is that text, an empty line, and one line
per signature: ``— <key name> <base64(4-byte key hash || Ed25519 signature of the text)>``. The
key hash is the first four bytes of SHA-256(key name || "\\n" || 0x01 || public key), and a
verifier is given the key as ``<name>+<key hash, hex>+<base64(0x01 || public key)>``.

Each organisation's log has its own origin (``<PACTUM_AUDIT_LOG_ORIGIN>/<organisation id>``); the
checkpoint key's name is the platform's origin. Pure: no framework, only ``cryptography``.
"""

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ED25519 = b"\x01"  # the signature type byte of an Ed25519 note key
DASH = "\u2014"  # the em dash that starts a signature line
MAX_SIGNATURES = 100


class NoteRefused(ValueError):
    """The note is malformed, or no signature by a known key holds."""


@dataclass(frozen=True)
class Checkpoint:
    """What a checkpoint note states: the log (its origin), its size and its root hash."""

    origin: str
    size: int
    root: bytes


@dataclass(frozen=True)
class NoteKey:
    """A verifier key: its name, its 4-byte hash and the raw Ed25519 public key."""

    name: str
    key_hash: bytes
    public_raw: bytes

    @property
    def text(self) -> str:
        """The key as signed-note tooling is given it (``name+hash+key``)."""
        encoded = base64.b64encode(ED25519 + self.public_raw).decode()
        return f"{self.name}+{self.key_hash.hex()}+{encoded}"


def _valid_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def key_hash(name: str, public_raw: bytes) -> bytes:
    """The 4-byte key hash of an Ed25519 note key."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + public_raw).digest()[:4]


def note_key(name: str, public_raw: bytes) -> NoteKey:
    if not _valid_name(name):
        raise ValueError(f"{name!r} is not a key name (no spaces, no '+')")
    return NoteKey(name, key_hash(name, public_raw), public_raw)


def parse_key(text: str) -> NoteKey:
    """A verifier key from its text ``name+hash+base64(0x01 || key)``."""
    name, _, rest = text.strip().partition("+")
    hash_hex, _, encoded = rest.partition("+")
    try:
        raw = base64.b64decode(encoded, validate=True)
        expected = bytes.fromhex(hash_hex)
    except (binascii.Error, ValueError):
        raise ValueError("not a signed-note verifier key") from None
    if not _valid_name(name) or len(expected) != 4 or len(raw) != 33 or raw[:1] != ED25519:
        raise ValueError("not an Ed25519 signed-note verifier key")
    key = note_key(name, raw[1:])
    if key.key_hash != expected:
        raise ValueError("the verifier key's hash does not match its key")
    return key


def checkpoint_text(origin: str, size: int, root: bytes) -> str:
    """The body of a checkpoint note."""
    if not origin or "\n" in origin or size < 0 or len(root) != 32:
        raise ValueError("not a checkpoint")
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def sign(text: str, key: NoteKey, signature_of: Callable[[bytes], bytes]) -> str:
    """The signed note: ``text``, an empty line, and the signature line by ``key``."""
    if not text.endswith("\n") or "\n\n" in text:
        raise ValueError("a note's text ends with a newline and has no empty line")
    signature = signature_of(text.encode())
    blob = base64.b64encode(key.key_hash + signature).decode()
    return f"{text}\n{DASH} {key.name} {blob}\n"


def open_note(note: str, keys: Iterable[NoteKey]) -> str:
    """The note's text, once a signature by one of ``keys`` holds (else :class:`NoteRefused`).

    Signatures by keys not given are ignored, as the spec asks; a signature line that claims a
    given key but does not verify refuses the note."""
    text, separator, signatures = note.rpartition("\n\n")
    if not separator or not signatures.endswith("\n"):
        raise NoteRefused("a signed note is its text, an empty line and its signatures")
    text += "\n"
    known = {(key.name, key.key_hash): key for key in keys}
    lines = signatures[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteRefused("too many signatures")
    verified = False
    for line in lines:
        prefix, _, rest = line.partition(" ")
        name, _, blob = rest.partition(" ")
        try:
            raw = base64.b64decode(blob, validate=True)
        except binascii.Error:
            raise NoteRefused("a signature line is not base64") from None
        if prefix != DASH or not _valid_name(name) or len(raw) < 5:
            raise NoteRefused("a signature line is malformed")
        key = known.get((name, raw[:4]))
        if key is None:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(key.public_raw).verify(raw[4:], text.encode())
        except InvalidSignature:
            raise NoteRefused(f"the signature by {name} does not hold") from None
        verified = True
    if not verified:
        raise NoteRefused("no signature by a known key")
    return text


def parse_checkpoint(text: str) -> Checkpoint:
    """The origin, size and root a checkpoint's text states (extension lines are ignored)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteRefused("a checkpoint is an origin, a size and a root hash, one per line")
    origin, size, root = lines[0], lines[1], lines[2]
    if not origin or not size.isdigit() or (size != "0" and size.startswith("0")):
        raise NoteRefused("the checkpoint's origin or size is malformed")
    try:
        hashed = base64.b64decode(root, validate=True)
    except binascii.Error:
        raise NoteRefused("the checkpoint's root hash is not base64") from None
    if len(hashed) != 32:
        raise NoteRefused("the checkpoint's root hash is not a SHA-256 hash")
    return Checkpoint(origin, int(size), hashed)


def open_checkpoint(note: str, keys: Iterable[NoteKey], *, origin: str | None = None) -> Checkpoint:
    """A signed checkpoint note, verified: its signature by a known key, and its origin."""
    checkpoint = parse_checkpoint(open_note(note, keys))
    if origin is not None and checkpoint.origin != origin:
        raise NoteRefused(f"the checkpoint is of {checkpoint.origin}, not {origin}")
    return checkpoint
