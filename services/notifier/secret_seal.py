"""Webhook signing secrets sealed at rest (AES-256-GCM), under a key that names itself.

The key file holds one key per line, ``<key id> <base64 of 32 bytes>``, owner-only; the last line
seals, every line opens, so a new key is added by appending a line and the old one removed once
no row names it (a restart re-seals every secret under the newest key). A sealed secret reads
``sealed:v1:<key id>:<base64 of nonce and ciphertext>``, bound to its endpoint's id, so a sealed
value copied to another endpoint's row does not open there.
"""

import base64
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "sealed:v1:"


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another replica created it first
        return
    with os.fdopen(descriptor, "w") as file:
        file.write(f"{secrets.token_hex(4)} {base64.b64encode(os.urandom(32)).decode()}\n")


class SecretSeal:
    def __init__(self, keys: dict[str, bytes], current: str) -> None:
        self._keys = {key_id: AESGCM(material) for key_id, material in keys.items()}
        self.current = current

    @classmethod
    def from_file(cls, path: Path) -> "SecretSeal":
        """The keys in ``path``, created with one new key on first start."""
        if not path.exists():
            _create(path)
        keys: dict[str, bytes] = {}
        for line in path.read_text().splitlines():
            if line.strip():
                key_id, material = line.split()
                keys[key_id] = base64.b64decode(material)
        if not keys:
            raise ValueError(f"{path} holds no key")
        return cls(keys, current=list(keys)[-1])

    @staticmethod
    def is_sealed(value: str) -> bool:
        return value.startswith(PREFIX)

    def key_of(self, sealed: str) -> str:
        return sealed.removeprefix(PREFIX).split(":", 1)[0]

    def seal(self, secret: str, *, endpoint_id: object) -> str:
        nonce = os.urandom(12)
        sealed = self._keys[self.current].encrypt(nonce, secret.encode(), _bound(endpoint_id))
        return f"{PREFIX}{self.current}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, sealed: str, *, endpoint_id: object) -> str:
        if not self.is_sealed(sealed):
            raise ValueError("the secret is not sealed")
        key_id, payload = sealed.removeprefix(PREFIX).split(":", 1)
        raw = base64.b64decode(payload)
        return self._keys[key_id].decrypt(raw[:12], raw[12:], _bound(endpoint_id)).decode()


def _bound(endpoint_id: object) -> bytes:
    return f"pactum-webhook-secret:{endpoint_id}".encode()
