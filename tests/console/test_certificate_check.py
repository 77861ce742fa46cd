"""The console's check of a destruction certificate (DPA-13), without the platform: a certificate
signed with the published key is genuine; one changed by a character, signed with another key, or
not a certificate at all is not, each with its own plain verdict."""

import base64
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.console.agreements.certificate_check import Verdict, check


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _issued(statement: dict[str, object]) -> tuple[bytes, list[dict[str, str]]]:
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    signed = json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    certificate = {
        "statement": statement,
        "signature": _b64(key.sign(signed.encode())),
        "key_id": "k1",
    }
    return json.dumps(certificate).encode(), [
        {"kty": "OKP", "crv": "Ed25519", "x": _b64(raw), "kid": "k1"}
    ]


STATEMENT: dict[str, object] = {
    "agreement_id": "a1",
    "choice": "destroy",
    "destroyed": {"staff": 2},
    "naam": "Zoë",
}


def test_dpa_13_a_certificate_as_issued_is_genuine() -> None:
    document, keys = _issued(STATEMENT)
    checked = check(document, keys)
    assert checked.verdict is Verdict.genuine
    assert checked.statement == STATEMENT


def test_dpa_13_a_changed_character_an_unknown_key_or_no_certificate_is_not_genuine() -> None:
    document, keys = _issued(STATEMENT)
    assert check(document.replace(b'"destroy"', b'"Destroy"'), keys).verdict is Verdict.changed
    assert check(document, [keys[0] | {"kid": "other"}]).verdict is Verdict.unknown_key
    _, other_keys = _issued(STATEMENT)
    assert check(document, other_keys).verdict is Verdict.changed
    for junk in (
        b"",
        b"   ",
        b"not json",
        b"[1, 2]",
        b'{"statement": 1}',
        b"\xff\xfe",
        b"{" * 600_000,
    ):
        assert check(junk, keys).verdict is Verdict.unreadable
