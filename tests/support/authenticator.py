"""A software FIDO2 authenticator: what a security key or a phone does for a browser, in Python.

It answers WebAuthn options as ``navigator.credentials.create`` and ``.get`` would, with real
CBOR (``cbor2``), a real COSE key and real ECDSA P-256 signatures made with ``cryptography``, so
identity's checks (done by the ``webauthn`` package) run exactly as against a device. Knobs let a
test play a misbehaving or hostile one: the wrong origin, no user verification, a cloned key whose
sign count goes back, another key signing.
"""

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40
AAGUID = bytes(16)  # "none" attestation: the model is not said


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    credential_id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0

    def cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )


@dataclass
class SoftwareAuthenticator:
    origin: str
    verifies_user: bool = True
    backup_eligible: bool = True
    backed_up: bool = True
    counts: bool = True  # False: always 0, as synced passkeys report
    credentials: list[Credential] = field(default_factory=list)

    def _flags(self, *, attested: bool) -> int:
        flags = UP | (UV if self.verifies_user else 0)
        flags |= BE if self.backup_eligible else 0
        flags |= BS if self.backed_up else 0
        return flags | (AT if attested else 0)

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": challenge,
                "origin": origin or self.origin,
                "crossOrigin": False,
            },
            separators=(",", ":"),
        ).encode()

    def create(self, options: dict[str, Any], *, origin: str | None = None) -> dict[str, Any]:
        """``navigator.credentials.create(options)``, answered as ``credential.toJSON()``."""
        rp_id = options["rp"]["id"]
        excluded = {unb64url(d["id"]) for d in options.get("excludeCredentials", [])}
        if any(c.credential_id in excluded for c in self.credentials if c.rp_id == rp_id):
            raise RuntimeError("InvalidStateError: this authenticator is registered already")
        credential = Credential(
            credential_id=secrets.token_bytes(32),
            key=ec.generate_private_key(ec.SECP256R1()),
            rp_id=rp_id,
            user_handle=unb64url(options["user"]["id"]),
        )
        self.credentials.append(credential)
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([self._flags(attested=True)])
            + struct.pack(">I", credential.sign_count)
            + AAGUID
            + struct.pack(">H", len(credential.credential_id))
            + credential.credential_id
            + credential.cose_key()
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        return {
            "id": b64url(credential.credential_id),
            "rawId": b64url(credential.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal", "hybrid"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        credential: Credential | None = None,
        signer: ec.EllipticCurvePrivateKey | None = None,
        sign_count: int | None = None,
    ) -> dict[str, Any]:
        """``navigator.credentials.get(options)``: the first of this authenticator's passkeys the
        options allow (any for the rp, when they name none), answered as ``toJSON()``."""
        rp_id = options["rpId"]
        allowed = {unb64url(d["id"]) for d in options.get("allowCredentials", [])}
        if credential is None:
            credential = next(
                c
                for c in self.credentials
                if c.rp_id == rp_id and (not allowed or c.credential_id in allowed)
            )
        if sign_count is not None:
            credential.sign_count = sign_count
        elif self.counts:
            credential.sign_count += 1
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([self._flags(attested=False)])
            + struct.pack(">I", credential.sign_count)
        )
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = (signer or credential.key).sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": b64url(credential.credential_id),
            "rawId": b64url(credential.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(credential.user_handle),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }
