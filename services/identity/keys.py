"""Identity's keys: the token signing key (with rotation) and the data key that seals TOTP secrets.

Both live in files under ``var/identity`` (owner-only), created on first start. Rotation
(``python -m services.identity.cli rotate-signing-key``) writes a new signing key and records the
old public half as retired; the JWKS keeps serving retired keys for a day so that tokens signed
before the rotation verify until they expire.

An emergency revocation (``pactum rotate-key token --revoke-now``) does not wait: it rotates,
forgets the public halves of every earlier key still served (``revoke_signing_keys``) and emits one
``signing_key.revoked`` per key. Every service's revocation listener drops the key from its JWKS
cache at once; a running identity signs with the new key file from then on
(``follow_key_revocations``), no restart needed.
"""

import base64
import hashlib
import hmac
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import structlog
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.identity.store import SigningKey
from shared.auth import ALGORITHM, TokenSigner
from shared.event_types.identity import SIGNING_KEY_CREATED, SIGNING_KEY_REVOKED
from shared.events import Actor
from shared.events.contracts.identity import SigningKeyCreated, SigningKeyRevoked
from shared.events.subjects import PLATFORM_TENANT
from shared.outbox import Outbox

log = structlog.get_logger("pactum.identity")

RETIRED_KEYS_SERVED = timedelta(days=1)


def _write_private(path: Path, content: bytes, *, replace: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    target = path.with_suffix(path.suffix + ".new") if replace else path
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
    if replace:
        os.replace(target, path)


def load_or_create_signer(path: Path, *, issuer: str, audience: str) -> TokenSigner:
    """Load the Ed25519 signing key, or create it (owner-only permissions) if it is missing."""
    if path.exists():
        return TokenSigner.from_pem(path.read_bytes(), issuer=issuer, audience=audience)
    signer = TokenSigner.generate(issuer=issuer, audience=audience)
    _write_private(path, signer.to_pem())
    log.info("identity.signing_key_created", path=str(path), kid=signer.public_jwk["kid"])
    return signer


def rotate_signer(path: Path, *, issuer: str, audience: str) -> tuple[TokenSigner, TokenSigner]:
    """Replace the signing key with a new one; returns (old, new)."""
    old = load_or_create_signer(path, issuer=issuer, audience=audience)
    new = TokenSigner.generate(issuer=issuer, audience=audience)
    _write_private(path, new.to_pem(), replace=True)
    return old, new


async def revoke_signing_keys(
    session: AsyncSession, *, outbox: Outbox, actor: Actor, keep: str
) -> list[str]:
    """Revoke every signing key but ``keep`` (the new one) at once: forget its public half, so no
    JWKS serves it again, and emit ``signing_key.revoked`` for each; returns the revoked ids.
    The events are the record (TOM-T10): the audit log keeps which key was revoked, when, by whom.
    """
    served_since = datetime.now(UTC) - RETIRED_KEYS_SERVED
    revoked = list(
        await session.scalars(
            select(col(SigningKey.kid))
            .where(col(SigningKey.kid) != keep)
            .where(
                col(SigningKey.retired_at).is_(None) | (col(SigningKey.retired_at) >= served_since)
            )
            .order_by(col(SigningKey.kid))
        )
    )
    if revoked:
        await session.execute(delete(SigningKey).where(col(SigningKey.kid).in_(revoked)))
    for kid in revoked:
        outbox.add(
            session,
            type=SIGNING_KEY_REVOKED,
            tenant=PLATFORM_TENANT,
            actor=actor,
            subject=kid,
            data=SigningKeyRevoked(key_id=kid, replaced_by=keep),
        )
    return revoked


class KeyHolder(Protocol):
    """What signs identity's tokens and what its JWKS serves (the Authority)."""

    signer: TokenSigner
    retired_jwks: list[dict[str, str]]


class SigningAuthority(KeyHolder, Protocol):
    """What recording the signing key needs of the Authority: its outbox and its system actor."""

    outbox: Outbox

    @property
    def system(self) -> Actor: ...


async def record_signing_key(session: AsyncSession, authority: SigningAuthority) -> None:
    """Keep the public half of each signing key; serve retired ones for a while (rotation)."""
    now = datetime.now(UTC)
    current = authority.signer.public_jwk
    async with session.begin():
        if await session.get(SigningKey, current["kid"]) is None:
            await session.execute(
                update(SigningKey)
                .where(col(SigningKey.retired_at).is_(None))
                .values(retired_at=now)
            )
            session.add(SigningKey(kid=current["kid"], public_x=current["x"], created_at=now))
            authority.outbox.add(
                session,
                type=SIGNING_KEY_CREATED,
                tenant=PLATFORM_TENANT,
                actor=authority.system,
                subject=current["kid"],
                data=SigningKeyCreated(key_id=current["kid"]),
            )
        retired = await session.scalars(
            select(SigningKey).where(col(SigningKey.retired_at) >= now - RETIRED_KEYS_SERVED)
        )
        authority.retired_jwks = [
            public_jwk(key.kid, key.public_x) for key in retired if key.kid != current["kid"]
        ]


def follow_key_revocations(holder: KeyHolder, path: Path) -> Callable[[str], None]:
    """What a running identity does when a signing key is revoked: stop serving it in the JWKS
    and, if it is the key it signs with, sign with the key file's (new) key from now on."""

    def follow(kid: str) -> None:
        holder.retired_jwks = [jwk for jwk in holder.retired_jwks if jwk["kid"] != kid]
        if holder.signer.public_jwk["kid"] != kid:
            return
        signer = holder.signer
        try:
            replacement = TokenSigner.from_pem(
                path.read_bytes(), issuer=signer.issuer, audience=signer.audience
            )
        except (OSError, ValueError) as error:
            log.error("identity.signing_key_unreadable", kid=kid, path=str(path), error=str(error))
            return
        if replacement.public_jwk["kid"] == kid:
            log.error("identity.revoked_key_still_in_file", kid=kid, path=str(path))
            return
        holder.signer = replacement
        log.warning("identity.signing_key_revoked", kid=kid, now=replacement.public_jwk["kid"])

    return follow


def public_jwk(kid: str, x: str) -> dict[str, str]:
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": ALGORITHM, "use": "sig"}


class Sealer:
    """AES-256-GCM with identity's data key: TOTP secrets are stored sealed (TOM-T10); recovery
    codes are stored as an HMAC under a key derived from it."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)
        # A separate key for MACs, derived from the data key (never the AES key itself).
        self._mac_key = hmac.new(key, b"pactum identity mac key v1", hashlib.sha256).digest()

    def mac(self, message: str, *, purpose: str) -> str:
        """HMAC-SHA-256 of ``message`` under identity's data key, for ``purpose`` (43 characters,
        base64url): a digest nobody can recompute from a copy of the database alone."""
        tag = hmac.new(self._mac_key, f"{purpose}\x00{message}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(tag.digest()).decode().rstrip("=")

    @classmethod
    def from_file(cls, path: Path) -> "Sealer":
        if not path.exists():
            _write_private(path, base64.b64encode(AESGCM.generate_key(bit_length=256)))
        return cls(base64.b64decode(path.read_bytes()))

    def seal(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return base64.b64encode(nonce + sealed).decode()

    def open(self, sealed: str, *, context: str) -> str:
        raw = base64.b64decode(sealed)
        return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode()


def now() -> datetime:
    return datetime.now(UTC)
