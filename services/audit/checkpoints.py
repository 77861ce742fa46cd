"""Signed checkpoints: an organisation's tree size and root at a time, signed with Ed25519.

What a verifier needs (key ids, key sets, the signed text, the C2SP note) lives in the standalone
``pactum_verify`` package; this module keeps the key file, its rotation, and signing.

The key lives in a file (``PACTUM_AUDIT_CHECKPOINT_KEY_FILE``, default
``var/audit/checkpoint-key.pem``), created owner-only on first start. :func:`rotate` retires it:
its public half goes to the key ring ``checkpoint-keys/<key id>.json`` next to the key file, with
its validity period, and a new key replaces the private one. ``GET /audit/checkpoint-key``
publishes the current key and the retired ones; a verifier checks each checkpoint against the key
its ``key_id`` names (:func:`checkpoint_problem`).
"""

import asyncio
import base64
import json
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pactum_verify import merkle, notes
from pactum_verify.keys import (
    KeySet,
    PublicKey,
    checkpoint_note,
    checkpoint_problem,
    key_id_of,
    key_set_of,
)
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.audit.store import AuditCheckpoint, AuditTree
from shared.metrics import ServiceMetrics, since

log = structlog.get_logger("pactum.audit")

RING_DIR = "checkpoint-keys"
DEFAULT_ORIGIN = "pactum.localhost/audit"  # PACTUM_AUDIT_LOG_ORIGIN


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ring_of(key_file: Path) -> Path:
    """Where the public halves of retired keys live: ``checkpoint-keys/`` next to the key."""
    return key_file.parent / RING_DIR


def retired_keys(key_file: Path) -> list[PublicKey]:
    """The retired keys kept next to ``key_file``, oldest first."""
    ring = ring_of(key_file)
    if not ring.is_dir():
        return []
    keys = []
    for path in sorted(ring.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        (key,) = key_set_of(record).values()
        if key.retired_at is None:
            raise ValueError(f"{path} names no retirement time")
        keys.append(key)
    return sorted(keys, key=lambda key: str(key.retired_at))


def _stage_private(path: Path, key: Ed25519PrivateKey) -> Path:
    """Write ``key`` owner-only (and synced) next to ``path``; rename it over ``path`` to use it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.{os.getpid()}.new")
    descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        file.flush()
        os.fsync(file.fileno())
    return staged


def _read_private(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def rotate(key_file: Path) -> tuple[PublicKey, PublicKey]:
    """Retire the key at ``key_file`` and put a new one in its place: the old public half is
    written to the ring first (so it is never lost), then the new private key replaces the old
    one in one rename (the old private half is gone). Returns (retired, current).

    The new key is written and synced before the retirement time is taken, so that time and the
    rename are as close as can be (a running signer switches at the rename)."""
    old = _read_private(key_file)  # FileNotFoundError / ValueError: nothing changed
    previous = retired_keys(key_file)
    valid_from = previous[-1].retired_at if previous else None
    new = Ed25519PrivateKey.generate()
    staged_key = _stage_private(key_file, new)
    raw, new_raw = _raw(old), _raw(new)
    ring = ring_of(key_file)
    ring.mkdir(parents=True, exist_ok=True)
    retired = PublicKey(key_id_of(raw), base64.b64encode(raw).decode(), valid_from, now_rfc3339())
    staged_record = ring / f".{retired.key_id}.json.new"
    with staged_record.open("w", encoding="utf-8") as file:
        file.write(json.dumps(retired.published(), indent=2) + "\n")
        file.flush()
        os.fsync(file.fileno())
    os.replace(staged_record, ring / f"{retired.key_id}.json")
    os.replace(staged_key, key_file)
    current = PublicKey(key_id_of(new_raw), base64.b64encode(new_raw).decode(), retired.retired_at)
    log.info("audit.checkpoint_key_rotated", retired=retired.key_id, key_id=current.key_id)
    return retired, current


class CheckpointSigner:
    """The current checkpoint key. Loaded from a file, it is re-read when the file changes (a
    rotation by ``pactum rotate-key checkpoint``), so a running service signs the next checkpoint
    with the new key."""

    def __init__(
        self,
        private_key: Ed25519PrivateKey,
        path: Path | None = None,
        *,
        origin: str = DEFAULT_ORIGIN,
    ) -> None:
        self._key = private_key
        self._path = path
        self._stamp = self._stat()
        self.origin = origin

    def _stat(self) -> tuple[int, int, int] | None:
        if self._path is None:
            return None
        try:
            found = self._path.stat()
        except OSError:
            return None
        return (found.st_ino, found.st_mtime_ns, found.st_size)

    @classmethod
    def load_or_create(cls, path: Path, *, origin: str = DEFAULT_ORIGIN) -> "CheckpointSigner":
        if path.exists():
            return cls(_read_private(path), path, origin=origin)
        key = Ed25519PrivateKey.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        signer = cls(key, path, origin=origin)
        log.info("audit.checkpoint_key_created", path=str(path), key_id=signer.key_id)
        return signer

    @property
    def private_key(self) -> Ed25519PrivateKey:
        stamp = self._stat()
        if self._path is not None and stamp is not None and stamp != self._stamp:
            self._key = _read_private(self._path)
            self._stamp = stamp
            log.info("audit.checkpoint_key_loaded", key_id=key_id_of(_raw(self._key)))
        return self._key

    @property
    def public_raw(self) -> bytes:
        return _raw(self.private_key)

    @property
    def public_key(self) -> str:
        return base64.b64encode(self.public_raw).decode()

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_raw)

    def sign(self, note: bytes) -> str:
        return base64.b64encode(self.private_key.sign(note)).decode()

    @property
    def note_key(self) -> notes.NoteKey:
        """The current key as signed-note tooling names it (its name is the log origin)."""
        return notes.note_key(self.origin, self.public_raw)

    def log_origin(self, organisation_id: str) -> str:
        """The origin line of an organisation's checkpoints."""
        return f"{self.origin}/{organisation_id}"

    def retired(self) -> list[PublicKey]:
        return retired_keys(self._path) if self._path is not None else []

    def key_ring(self) -> list[PublicKey]:
        """Every key that may have signed a checkpoint: the retired ones, then the current."""
        retired = self.retired()
        current = PublicKey(
            self.key_id, self.public_key, retired[-1].retired_at if retired else None
        )
        return [*(key for key in retired if key.key_id != current.key_id), current]

    def key_set(self) -> KeySet:
        return {key.key_id: key for key in self.key_ring()}


async def checkpoint(
    session: AsyncSession, signer: CheckpointSigner, *, organisation_id: str
) -> AuditCheckpoint | None:
    """Sign the organisation's current tree head, unless the latest checkpoint already has it.

    Two requests at once (an inclusion proof and a whole-log check) must not both sign the same
    size: a repeated size makes every later export of the log fail to verify. The tree row is the
    lock: ``FOR UPDATE`` on PostgreSQL; SQLite ignores that, so there a write as the transaction's
    first statement takes the database's write lock before anything is read.
    """
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(
            update(AuditTree)
            .where(col(AuditTree.organisation_id) == organisation_id)
            .values(size=AuditTree.size)
        )
    tree = await session.get(AuditTree, organisation_id, with_for_update=True)
    if tree is None or tree.size == 0:
        return None
    latest = await latest_checkpoint(session, organisation_id=organisation_id)
    if latest is not None and latest.size == tree.size:
        return latest
    root = merkle.root([bytes.fromhex(value) for value in tree.frontier])
    key = signer.private_key  # re-read first if rotated, so the time falls in its validity
    signed_at = now_rfc3339()
    note = checkpoint_note(
        organisation_id=organisation_id, size=tree.size, root=root, signed_at=signed_at
    )
    key_id, signature = key_id_of(_raw(key)), base64.b64encode(key.sign(note)).decode()
    signed_note = notes.sign(
        notes.checkpoint_text(signer.log_origin(organisation_id), tree.size, root),
        notes.note_key(signer.origin, _raw(key)),
        key.sign,
    )
    signed = AuditCheckpoint(
        organisation_id=organisation_id,
        size=tree.size,
        root=root.hex(),
        signed_at=signed_at,
        key_id=key_id,
        signature=signature,
        note_signature=signed_note.rsplit(" ", 1)[1].strip(),
    )
    session.add(signed)
    tree.checkpointed_size = tree.size
    await session.flush()
    return signed


async def latest_checkpoint(
    session: AsyncSession, *, organisation_id: str, size: int | None = None
) -> AuditCheckpoint | None:
    """The newest checkpoint, or the one of exactly ``size`` leaves."""
    query = select(AuditCheckpoint).where(col(AuditCheckpoint.organisation_id) == organisation_id)
    if size is not None:
        query = query.where(col(AuditCheckpoint.size) == size)
    query = query.order_by(col(AuditCheckpoint.size).desc(), col(AuditCheckpoint.id).desc())
    return (await session.scalars(query.limit(1))).first()


async def checkpoint_due(
    sessions: async_sessionmaker[AsyncSession], signer: CheckpointSigner
) -> int:
    """Sign a checkpoint for every organisation whose tree grew since its last one."""
    async with sessions() as session:
        due = list(
            (
                await session.scalars(
                    select(col(AuditTree.organisation_id)).where(
                        col(AuditTree.size) > col(AuditTree.checkpointed_size)
                    )
                )
            ).all()
        )
    for organisation_id in due:
        async with sessions() as session, session.begin():
            await checkpoint(session, signer, organisation_id=organisation_id)
    return len(due)


@dataclass
class SigningRounds:
    """What the signing rounds of this process did: checkpoints signed, and when a round last
    left every tree covered by a checkpoint (start-up counts as the first such moment)."""

    signed: int = 0
    covered_at: float = field(default_factory=time.time)

    def observe(self, metrics: ServiceMetrics) -> None:
        metrics.observe(
            "pactum.audit.checkpoints_signed",
            lambda: [(self.signed, {})],
            kind="counter",
            unit="{checkpoint}",
            description="Checkpoints signed by the periodic rounds of this process.",
        )
        metrics.observe(
            "pactum.audit.checkpoint_age",
            lambda: since(self.covered_at),
            unit="s",
            description="Seconds since a signing round last left every organisation's tree "
            "covered by a signed checkpoint; grows when signing stops (no organisation label).",
        )


async def run_checkpoints(
    sessions: async_sessionmaker[AsyncSession],
    signer: CheckpointSigner,
    *,
    every: float,
    rounds: SigningRounds | None = None,
) -> None:
    """Sign due checkpoints every ``every`` seconds until cancelled."""
    rounds = rounds or SigningRounds()
    while True:
        await asyncio.sleep(every)
        try:
            count = await checkpoint_due(sessions, signer)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("audit.checkpoint_failed")
            continue
        rounds.signed += count
        rounds.covered_at = time.time()
        if count:
            log.info("audit.checkpoints_signed", organisations=count)


class CheckpointBroken(ValueError):
    """A stored checkpoint whose signature does not hold: no note is signed for it."""


def signed_note(row: AuditCheckpoint, signer: CheckpointSigner) -> str:
    """The checkpoint as a C2SP signed note. A checkpoint signed before notes were gets its note
    signed now, by the current key, once its own signature holds under the key ring."""
    text = notes.checkpoint_text(
        signer.log_origin(row.organisation_id), row.size, bytes.fromhex(row.root)
    )
    if row.note_signature:
        return f"{text}\n{notes.DASH} {signer.origin} {row.note_signature}\n"
    problem = checkpoint_problem(public_checkpoint(row), signer.key_set())
    if problem is not None:
        raise CheckpointBroken(problem)
    return notes.sign(text, signer.note_key, signer.private_key.sign)


def public_checkpoint(row: AuditCheckpoint) -> dict[str, object]:
    return {
        "organisation_id": row.organisation_id,
        "size": row.size,
        "root": row.root,
        "signed_at": row.signed_at,
        "key_id": row.key_id,
        "signature": row.signature,
    }


async def checkpoint_status(sessions: async_sessionmaker[AsyncSession]) -> dict[str, object]:
    """For the operator's status page: when the newest checkpoint was signed (RFC 3339, or None
    before the first) and how many entries no signed checkpoint covers yet (all organisations)."""
    async with sessions() as session:
        newest = await session.scalar(select(func.max(col(AuditCheckpoint.signed_at))))
        unsigned = await session.scalar(
            select(func.sum(col(AuditTree.size) - col(AuditTree.checkpointed_size)))
        )
    return {"newest_signed_at": newest, "unsigned_entries": int(unsigned or 0)}
