"""Opaque one-time secrets (refresh tokens, links, challenges): random, stored only as digests."""

import hashlib
import hmac
import secrets


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """SHA-256 is enough here: the secrets are 256-bit random, not guessable passwords."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)
