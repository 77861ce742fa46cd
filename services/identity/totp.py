"""Time-based one-time passwords (RFC 6238, SHA-1, 6 digits, 30 s) and recovery codes (TOM-T2b)."""

import base64
import hashlib
import hmac
import math
import secrets
import struct
import time
from urllib.parse import quote, urlencode

import segno

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1  # accept the previous and next code too (clock skew)
RECOVERY_CODES = 10


def new_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def code_at(secret: str, step: int) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def matching_step(
    secret: str, code: str, *, after_step: int, now: float | None = None
) -> int | None:
    """The time step ``code`` belongs to, if valid and later than ``after_step`` (ASVS 6.5.1)."""
    if len(code) != DIGITS or not code.isdigit():
        return None
    step = current_step(now)
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        if candidate > after_step and hmac.compare_digest(code_at(secret, candidate), code):
            return candidate
    return None


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    label = quote(f"{issuer}:{account}")
    query = urlencode(
        {
            "secret": secret,
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_SECONDS,
        }
    )
    return f"otpauth://totp/{label}?{query}"


def qr_svg(uri: str) -> str:
    rendered: str = segno.make(uri, error="m").svg_inline(scale=4)
    return rendered


RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # 31 characters, none that look alike
RECOVERY_GROUPS = 4  # of 5 characters: 20 * log2(31) = 99 bits (ASVS 6.5.2: at least 80)


def new_recovery_codes() -> list[str]:
    """Ten single-use codes like ``k7mq2-xw9fd-3hn8a-pt4vc``, shown once, stored as a keyed HMAC."""
    return [
        "-".join(
            "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(5))
            for _ in range(RECOVERY_GROUPS)
        )
        for _ in range(RECOVERY_CODES)
    ]


def recovery_code_bits() -> float:
    """The entropy of one new recovery code."""
    return RECOVERY_GROUPS * 5 * math.log2(len(RECOVERY_ALPHABET))


def normalise_recovery_code(code: str) -> str:
    return code.strip().lower().replace(" ", "")
