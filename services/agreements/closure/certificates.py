"""The key that signs destruction certificates (DPA-13), and how a controller verifies one.

An Ed25519 key kept in the service's ``var_dir`` (created on first start, readable by the
service user only). The public half is served as a JWK whose ``kid`` is its RFC 7638 thumbprint,
so a controller can verify a certificate offline: Ed25519 over the canonical JSON of the
statement (sorted keys, no spaces, UTF-8). The same key is served as PEM, and the canonical bytes
and the raw signature as files, so ``openssl pkeyutl -verify -pubin -inkey key.pem -rawin -in
statement.json -sigfile sig.bin`` verifies a certificate without Python.
"""

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical(statement: dict[str, Any]) -> bytes:
    return json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class CertificateKey:
    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private = private_key
        raw = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        x = _b64(raw)
        thumbprint = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"))
        self.key_id = _b64(hashlib.sha256(thumbprint.encode()).digest())
        self.public_jwk = {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": self.key_id}

    @classmethod
    def load_or_create(cls, path: Path) -> "CertificateKey":
        if path.exists():
            loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(loaded, Ed25519PrivateKey):
                raise ValueError(f"{path} does not hold an Ed25519 key")
            return cls(loaded)
        key = Ed25519PrivateKey.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        return cls(key)

    @property
    def public_pem(self) -> bytes:
        """The public key as SubjectPublicKeyInfo PEM, what ``openssl pkeyutl -pubin`` reads."""
        return self._private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, statement: dict[str, Any]) -> str:
        return _b64(self._private.sign(canonical(statement)))


def signature_bytes(signature: str) -> bytes:
    """The raw 64-byte Ed25519 signature that ``-sigfile`` reads."""
    return _unb64(signature)


def verify(statement: dict[str, Any], signature: str, public_jwk: dict[str, str]) -> bool:
    """What a controller runs on a certificate it received, with the published key."""
    key = Ed25519PublicKey.from_public_bytes(_unb64(public_jwk["x"]))
    try:
        key.verify(_unb64(signature), canonical(statement))
    except (InvalidSignature, ValueError):
        return False
    return True
