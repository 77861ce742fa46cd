"""Signed checkpoints: an organisation's tree size and root at a time, signed with Ed25519.

The key lives in a file (``PACTUM_AUDIT_CHECKPOINT_KEY_FILE``, default
``var/audit/checkpoint-key.pem``), created owner-only on first start; its public half is published
at ``GET /audit/checkpoint-key``. Anyone holding that public key checks a checkpoint offline.
"""

import asyncio
import base64
import hashlib
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import structlog
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.audit import merkle
from services.audit.domain import checkpoint_note
from services.audit.store import AuditCheckpoint, AuditTree
from shared.metrics import ServiceMetrics, since

log = structlog.get_logger("pactum.audit")


def key_id_of(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


@dataclass(frozen=True)
class CheckpointSigner:
    private_key: Ed25519PrivateKey

    @classmethod
    def load_or_create(cls, path: Path) -> "CheckpointSigner":
        if path.exists():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError(f"{path} does not hold an Ed25519 private key")
            return cls(key)
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
        signer = cls(key)
        log.info("audit.checkpoint_key_created", path=str(path), key_id=signer.key_id)
        return signer

    @property
    def public_raw(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def public_key(self) -> str:
        return base64.b64encode(self.public_raw).decode()

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_raw)

    def sign(self, note: bytes) -> str:
        return base64.b64encode(self.private_key.sign(note)).decode()


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


async def checkpoint(
    session: AsyncSession, signer: CheckpointSigner, *, organisation_id: str
) -> AuditCheckpoint | None:
    """Sign the organisation's current tree head, unless the latest checkpoint already has it."""
    tree = await session.get(AuditTree, organisation_id, with_for_update=True)
    if tree is None or tree.size == 0:
        return None
    latest = await latest_checkpoint(session, organisation_id=organisation_id)
    if latest is not None and latest.size == tree.size:
        return latest
    root = merkle.root([bytes.fromhex(value) for value in tree.frontier])
    signed_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    note = checkpoint_note(
        organisation_id=organisation_id, size=tree.size, root=root, signed_at=signed_at
    )
    signed = AuditCheckpoint(
        organisation_id=organisation_id,
        size=tree.size,
        root=root.hex(),
        signed_at=signed_at,
        key_id=signer.key_id,
        signature=signer.sign(note),
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


def public_checkpoint(row: AuditCheckpoint) -> dict[str, object]:
    return {
        "organisation_id": row.organisation_id,
        "size": row.size,
        "root": row.root,
        "signed_at": row.signed_at,
        "key_id": row.key_id,
        "signature": row.signature,
    }
