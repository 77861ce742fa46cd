"""Opaque cursors for keyset pagination: the sort key of the last item of a page, encoded."""

import base64
import binascii
import json

from services.identity.domain import IdentityRuleBroken


class CursorRefused(IdentityRuleBroken):
    """A cursor this API did not hand out (or one for another list)."""


def encode(*values: str) -> str:
    raw = json.dumps(list(values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(cursor: str, *, parts: int) -> list[str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError):
        raise CursorRefused("cursor: not one this list gave; start again without it") from None
    if (
        not isinstance(values, list)
        or len(values) != parts
        or not all(isinstance(v, str) for v in values)
    ):
        raise CursorRefused("cursor: not one this list gave; start again without it")
    return values
