"""Identity's keys: the token signing key (with rotation) and the data key that seals TOTP secrets.

Both live in files under ``var/identity`` (owner-only), created on first start. Rotation
(``python -m services.identity.cli rotate-signing-key``) writes a new signing key and records the
old public half as retired; the JWKS keeps serving retired keys for a day so that tokens signed
before the rotation verify until they expire.
"""

import base64
import hashlib
import hmac
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.auth import ALGORITHM, TokenSigner

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
