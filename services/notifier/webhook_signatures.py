"""Standard Webhooks signatures: HMAC-SHA256 over ``id.timestamp.body`` with a ``whsec_`` secret.

During a secret rotation both the new and the previous secret sign, space-separated, so a
receiver that still holds the old secret keeps verifying until it switches.
"""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    if not secret.startswith(PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    return base64.b64decode(secret[len(PREFIX) :])


def sign(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(
    *, secrets_: Iterable[str], message_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    signatures = " ".join(
        sign(secret=secret, message_id=message_id, timestamp=timestamp, body=body)
        for secret in secrets_
    )
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
        "content-type": "application/json",
    }


def verify(
    *,
    secret: str,
    headers_: dict[str, str],
    body: bytes,
    now: int,
    tolerance: int = 300,
) -> bool:
    """A receiver's check (used by the tests' receiver and documented for customers)."""
    message_id = headers_.get("webhook-id", "")
    try:
        timestamp = int(headers_.get("webhook-timestamp", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret=secret, message_id=message_id, timestamp=timestamp, body=body)
    return any(
        hmac.compare_digest(expected, candidate)
        for candidate in headers_.get("webhook-signature", "").split()
    )
