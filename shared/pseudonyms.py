"""Keyed pseudonyms for the client's address, so no clear copy leaves a service (TOM-32a, TOM-T1).

A service sees its caller's address in clear (identity throttles sign-ins by it and tells a new
device by it), but what leaves the process, an event in the outbox and on the stream, a log line,
carries ``ip:`` and the first 16 characters of the unpadded base64url HMAC-SHA256 of the address
under the platform's pseudonym key. The same address gives the same pseudonym in every service,
so an operator can follow one client through the logs and the audit log; nobody without the key
can tell the address from it, and whoever holds it can only check a candidate address
(:meth:`Pseudonyms.of_address`), never read one back.
"""

import base64
import hashlib
import hmac
import ipaddress
import os
import uuid
from pathlib import Path

ADDRESS_PREFIX = "ip:"
PSEUDONYM_CHARACTERS = 16  # 96 bits of the HMAC: no collision among a platform's clients
KEY_BYTES = 32
MIN_KEY_CHARACTERS = 32


def is_pseudonym(value: str) -> bool:
    """Whether ``value`` is already an address's pseudonym (not a clear address)."""
    return value.startswith(ADDRESS_PREFIX) and len(value) == len(ADDRESS_PREFIX) + (
        PSEUDONYM_CHARACTERS
    )


def _canonical(address: str) -> str:
    """One spelling per address: ``::FFFF:192.0.2.1``, ``::ffff:c000:201`` and ``192.0.2.1``
    are one client; a name that is no address (a test client's) is taken as it is."""
    text = address.strip()
    try:
        parsed = ipaddress.ip_address(text)
    except ValueError:
        return text.lower()
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(parsed)


class Pseudonyms:
    """The platform's keyed pseudonyms; the key never leaves this object (nor its repr)."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_CHARACTERS:
            raise ValueError(f"a pseudonym key has at least {MIN_KEY_CHARACTERS} bytes")
        self._key = key

    def __repr__(self) -> str:
        return "Pseudonyms(<key>)"

    def of_address(self, address: str) -> str:
        """The address's pseudonym; a pseudonym is returned unchanged (never pseudonymised
        twice, so an envelope that already carries one keeps it)."""
        if is_pseudonym(address):
            return address
        digest = hmac.new(
            self._key, b"client-address\n" + _canonical(address).encode(), hashlib.sha256
        ).digest()
        text = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        return ADDRESS_PREFIX + text[:PSEUDONYM_CHARACTERS]

    def of_device(self, *, user_id: str, agent: str, network: str) -> str:
        """A user's browser (its User-Agent) on a network, as 64 hex characters: what identity
        keeps to tell a new device, which without the key cannot be tested against guesses."""
        material = f"device\n{user_id}\n{agent}\n{network}".encode()
        return hmac.new(self._key, material, hashlib.sha256).hexdigest()


def load_or_create_key(path: Path) -> bytes:
    """The key in ``path``, created there (64 hex characters, mode 0600) on the first start.

    Every service of a ``make run`` reads the same file and may start at the same moment: the
    key is written to a file of its own and linked into place, so a service reads either no file
    or a whole key, and the one that loses the race reads the winner's.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(os.urandom(KEY_BYTES).hex())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another service wrote it first: its key is the platform's
        finally:
            draft.unlink()
    return read_key(path)


def read_key(path: Path) -> bytes:
    """The key in ``path``, which must exist (an operator's tool never makes a key of its own:
    its pseudonyms would match nothing the services wrote)."""
    key = path.read_text().strip().encode()
    if len(key) < MIN_KEY_CHARACTERS:
        raise ValueError(f"the pseudonym key file {path} holds fewer than 32 characters")
    return key
