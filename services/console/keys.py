"""The console's key: seals the tokens its sessions hold and signs its CSRF tokens.

One file of 32 random bytes (base64, owner-only), created on first start; every replica of the
console reads the same file. Two purposes, two keys derived from it, so neither can stand in for
the other. Losing the file ends every console session, nothing more.
"""

import base64
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def _load_or_create(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another replica created it first
            pass
        else:
            with os.fdopen(descriptor, "wb") as file:
                file.write(base64.b64encode(os.urandom(32)))
    return base64.b64decode(path.read_bytes())


class ConsoleKey:
    def __init__(self, material: bytes) -> None:
        self._aead = AESGCM(hmac.new(material, b"pactum-console-seal", hashlib.sha256).digest())
        self.csrf = hmac.new(material, b"pactum-console-csrf", hashlib.sha256).digest()

    @classmethod
    def from_file(cls, path: Path) -> "ConsoleKey":
        return cls(_load_or_create(path))

    def seal(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return base64.b64encode(nonce + sealed).decode()

    def open(self, sealed: str, *, context: str) -> str:
        raw = base64.b64decode(sealed)
        return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode()
