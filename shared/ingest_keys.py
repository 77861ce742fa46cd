"""Audit's ingest keys: what producers seal the actor's name to, and what audit opens it with.

The audit service holds an X25519 private key, its *ingest key* (``PACTUM_AUDIT_INGEST_KEY_FILE``,
default ``var/audit/ingest-key.pem``: PKCS#8 PEM, owner-only), created on its first start. It
writes the public half to ``PACTUM_INGEST_PUBLIC_KEY_FILE`` (default
``var/ingest-public-key.pem``: SubjectPublicKeyInfo PEM, what ``openssl pkey -pubout`` writes),
and every service that emits events reads that file (:class:`NameSealer`) and seals each actor's
name to it before the event is stored in its outbox (shared/sealed_names.py, shared/outbox.py).

Where a producer finds no public key file:

- in production it does not start (:class:`IngestKeyMissing`): an event would otherwise carry
  the name in clear, or not at all. Compose orders the services after audit, which writes it;
- in development and test (``make run``, the test platforms: one var directory for every
  service) it creates the pair at audit's default place, ``var/audit/ingest-key.pem``, the way
  the first service to start creates the pseudonym key: whichever process comes first, audit or a
  producer, writes the key, and every other reads it.

Rotation (``pactum rotate-key ingest``, :func:`rotate`): the current private key moves to the
ring next to it, ``ingest-keys/<retired at>-<key id>.pem``; a new key replaces it and its public
half replaces the public file. A running producer re-reads the public file when it changes
(within :data:`RECHECK_SECONDS`); audit re-reads its keys when an event names a key it does not
hold. A retired key still opens what was sealed to it: audit keeps it until the stream's
retention has passed since its retirement (plus a day), so that no event still on the stream, or
still waiting in an outbox, was sealed to a key it no longer has; then :func:`forget_retired`
deletes it (audit does on start, and the rotation does).
"""

import os
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from shared.sealed_names import Unopened, key_id_of, open_name, seal_name

log = structlog.get_logger("pactum.ingest_keys")

RING_DIR = "ingest-keys"
RECHECK_SECONDS = 5.0  # how often a producer looks whether the public key file changed
_RETIRED = re.compile(r"^(\d{8}T\d{6}Z)-([0-9a-f]{16})\.pem$")
_STAMP = "%Y%m%dT%H%M%SZ"


class IngestKeyMissing(RuntimeError):
    """No usable audit ingest public key where the settings say (the message says where)."""


def _private_pem(key: X25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_pem(key: X25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def read_private(path: Path) -> X25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, X25519PrivateKey):
        raise ValueError(f"{path} does not hold an X25519 private key")
    return key


def read_public(path: Path) -> X25519PublicKey:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, X25519PublicKey):
        raise ValueError(f"{path} does not hold an X25519 public key")
    return key


def _write_new(path: Path, content: bytes) -> bool:
    """Write ``content`` to ``path`` (owner-only) unless a file is there: staged, then linked
    into place, so a process starting at the same moment reads either no file or a whole one.
    True if this call wrote it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
        file.flush()
        os.fsync(file.fileno())
    try:
        os.link(staged, path)
        return True
    except FileExistsError:
        return False  # another process wrote it first: its key is the one
    finally:
        staged.unlink()


def _replace(path: Path, content: bytes, *, mode: int) -> None:
    """Put ``content`` at ``path`` in one rename (a reader sees the old file or the new one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
        file.flush()
        os.fsync(file.fileno())
    os.replace(staged, path)


def load_or_create(key_file: Path) -> X25519PrivateKey:
    """Audit's current ingest key, created (owner-only) if there is none."""
    if not key_file.exists():
        created = X25519PrivateKey.generate()
        if _write_new(key_file, _private_pem(created)):
            log.info(
                "ingest_key.created", path=str(key_file), key_id=key_id_of(created.public_key())
            )
    return read_private(key_file)


def publish(key: X25519PrivateKey, public_file: Path) -> None:
    """Write ``key``'s public half to ``public_file``, unless the file already holds it."""
    content = public_pem(key.public_key())
    try:
        if public_file.read_bytes() == content:
            return
    except OSError:
        pass
    _replace(public_file, content, mode=0o644)


def ensure_pair(key_file: Path, public_file: Path) -> X25519PrivateKey:
    """The ingest key at ``key_file`` (created if missing), its public half at ``public_file``."""
    key = load_or_create(key_file)
    publish(key, public_file)
    return key


@dataclass(frozen=True)
class Retired:
    key_id: str
    retired_at: datetime
    path: Path


def ring_of(key_file: Path) -> Path:
    return key_file.parent / RING_DIR


def retired_keys(key_file: Path) -> list[Retired]:
    """The retired ingest keys kept next to ``key_file``, oldest first."""
    ring = ring_of(key_file)
    if not ring.is_dir():
        return []
    found = []
    for path in ring.iterdir():
        named = _RETIRED.match(path.name)
        if named:
            retired_at = datetime.strptime(named[1], _STAMP).replace(tzinfo=UTC)
            found.append(Retired(named[2], retired_at, path))
    return sorted(found, key=lambda retired: (retired.retired_at, retired.key_id))


def key_ring(key_file: Path) -> dict[str, X25519PrivateKey]:
    """Every ingest key audit holds, by id: the retired ones and the current one."""
    keys = {retired.key_id: read_private(retired.path) for retired in retired_keys(key_file)}
    current = read_private(key_file)
    keys[key_id_of(current.public_key())] = current
    return keys


def rotate(key_file: Path, public_file: Path, *, now: datetime | None = None) -> tuple[str, str]:
    """Retire the current ingest key and put a new one in its place; (retired id, new id).

    The old private key is written to the ring first (so it is never lost: events sealed to it
    still open), then the new one replaces it in one rename, then its public half replaces the
    public file (producers seal to it from their next look at the file)."""
    old = read_private(key_file)  # FileNotFoundError / ValueError: nothing changed
    retired_id = key_id_of(old.public_key())
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    ring = ring_of(key_file)
    ring.mkdir(parents=True, exist_ok=True, mode=0o700)
    _replace(ring / f"{moment.strftime(_STAMP)}-{retired_id}.pem", _private_pem(old), mode=0o600)
    new = X25519PrivateKey.generate()
    _replace(key_file, _private_pem(new), mode=0o600)
    publish(new, public_file)
    new_id = key_id_of(new.public_key())
    log.info("ingest_key.rotated", retired=retired_id, key_id=new_id)
    return retired_id, new_id


def forget_retired(key_file: Path, *, kept_days: int, now: datetime | None = None) -> list[str]:
    """Delete the retired keys retired more than ``kept_days`` ago; their ids."""
    limit = (now or datetime.now(UTC)) - timedelta(days=kept_days)
    forgotten = []
    for retired in retired_keys(key_file):
        if retired.retired_at < limit:
            retired.path.unlink(missing_ok=True)
            forgotten.append(retired.key_id)
    if forgotten:
        log.info("ingest_key.forgotten", key_ids=forgotten)
    return forgotten


class NameSealer:
    """A producing service's side: seals actors' names to audit's public ingest key.

    Built without touching a file (building an app, for the docs, reads no key); :meth:`load`
    reads the key when the service starts, or the first seal does. ``create_at``: the private
    key file to create the pair at when the public file is missing (audit's own, or, in
    development and test, audit's default place); None: the public file must be there."""

    def __init__(
        self,
        public_file: Path,
        *,
        create_at: Path | None = None,
        owner: bool = False,
        recheck_seconds: float = RECHECK_SECONDS,
    ) -> None:
        self.public_file = public_file
        self._create_at = create_at
        self._owner = owner  # audit: publishes its own key's public half on every load
        self._recheck_seconds = recheck_seconds
        self._key: X25519PublicKey | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._checked = 0.0

    @classmethod
    def for_producer(cls, public_file: Path, *, environment: str, var_dir: Path) -> "NameSealer":
        """A service's sealer: in production the public file must exist; in development and test
        the pair is created at audit's default place if it does not."""
        create_at = None if environment == "production" else var_dir / "audit" / "ingest-key.pem"
        return cls(public_file, create_at=create_at)

    def __repr__(self) -> str:
        return f"NameSealer({self.public_file})"

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            found = self.public_file.stat()
        except OSError:
            return None
        return (found.st_ino, found.st_mtime_ns, found.st_size)

    def load(self) -> str:
        """Read the public key (creating the pair where allowed); its key id."""
        if self._create_at is not None and (self._owner or not self.public_file.exists()):
            ensure_pair(self._create_at, self.public_file)
        try:
            key = read_public(self.public_file)
        except FileNotFoundError:
            raise IngestKeyMissing(
                f"no audit ingest public key at {self.public_file}: the audit service writes it "
                "on its first start (PACTUM_INGEST_PUBLIC_KEY_FILE names where it is read; "
                "docs/operations.md). Without it a service would send people's names in clear, "
                "so in production it does not start."
            ) from None
        except ValueError as error:
            raise IngestKeyMissing(f"{self.public_file}: {error}") from None
        self._stamp = self._stat()
        self._checked = time.monotonic()
        if self._key is None or key_id_of(self._key) != key_id_of(key):
            log.info("ingest_key.loaded", key_id=key_id_of(key), path=str(self.public_file))
        self._key = key
        return key_id_of(key)

    def _current(self) -> X25519PublicKey:
        if self._key is None:
            self.load()
        elif time.monotonic() - self._checked >= self._recheck_seconds:
            self._checked = time.monotonic()
            stamp = self._stat()
            if stamp is not None and stamp != self._stamp:
                try:
                    self.load()
                except IngestKeyMissing as error:  # half-written or wrong: keep the last key
                    log.warning("ingest_key.reload_failed", error=str(error))
        assert self._key is not None
        return self._key

    @property
    def key_id(self) -> str:
        return key_id_of(self._current())

    def seal(self, name: str, *, event_id: str, tenant: str, actor_id: str) -> str:
        return seal_name(name, self._current(), event_id=event_id, tenant=tenant, actor_id=actor_id)


class NameOpener:
    """Audit's side: opens a sealed name with the ingest key its id names (the current key or a
    retired one kept in the ring). When an id is unknown and the key file or the ring changed
    since they were read (a rotation by the operator, or by another replica), it reads them
    again first."""

    def __init__(self, key_file: Path) -> None:
        self.key_file = key_file
        self._keys: dict[str, X25519PrivateKey] | None = None
        self._stamp: tuple[int, ...] | None = None

    def __repr__(self) -> str:
        return f"NameOpener({self.key_file})"

    def _stat(self) -> tuple[int, ...]:
        stamp: tuple[int, ...] = ()
        for path in (self.key_file, ring_of(self.key_file)):
            try:
                found = path.stat()
            except OSError:
                stamp += (0, 0)
                continue
            stamp += (found.st_ino, found.st_mtime_ns)
        return stamp

    def load(self) -> list[str]:
        """Read every ingest key audit holds; their ids."""
        stamp = self._stat()
        self._keys = key_ring(self.key_file)
        self._stamp = stamp
        return sorted(self._keys)

    def open(self, sealed: str, *, event_id: str, tenant: str, actor_id: str) -> str:
        """The name, or :class:`Unopened` (shared/sealed_names.py says when)."""
        if self._keys is None:
            self.load()
        assert self._keys is not None
        try:
            return open_name(
                sealed, self._keys, event_id=event_id, tenant=tenant, actor_id=actor_id
            )
        except Unopened as error:
            unknown = error.key_id is not None and error.key_id not in self._keys
            if not unknown or self._stat() == self._stamp:
                raise
        self.load()
        return open_name(sealed, self._keys, event_id=event_id, tenant=tenant, actor_id=actor_id)


__all__ = [
    "IngestKeyMissing",
    "NameOpener",
    "NameSealer",
    "Retired",
    "ensure_pair",
    "forget_retired",
    "key_ring",
    "load_or_create",
    "publish",
    "read_private",
    "read_public",
    "retired_keys",
    "ring_of",
    "rotate",
]
