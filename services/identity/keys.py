"""The identity service's token signing key: loaded from a file, created there on first start."""

import os
from pathlib import Path

import structlog

from shared.auth import TokenSigner

log = structlog.get_logger("pactum.identity")


def load_or_create_signer(path: Path, *, issuer: str, audience: str) -> TokenSigner:
    """Load the Ed25519 signing key, or create it (owner-only permissions) if it is missing."""
    if path.exists():
        return TokenSigner.from_pem(path.read_bytes(), issuer=issuer, audience=audience)
    signer = TokenSigner.generate(issuer=issuer, audience=audience)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(signer.to_pem())
    log.info("identity.signing_key_created", path=str(path), kid=signer.public_jwk["kid"])
    return signer
