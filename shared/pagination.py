"""One pagination for every list of every service: ``limit`` and an opaque ``cursor`` in, the
items and ``next_cursor`` out (issue 16.3).

A cursor is the sort key of the last item of a page, encoded: the next page starts after it
(keyset pagination), so a list of any length is walked to its end, and an item added meanwhile
neither repeats nor hides another. ``next_cursor`` is null on the last page. A cursor is opaque:
clients pass it back unchanged; one this list did not hand out answers 422 ``invalid_cursor``.
"""

import base64
import binascii
import json
import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query

from shared.moments import as_utc

MAX_CURSOR_LENGTH = 512

Cursor = Annotated[
    str | None,
    Query(
        max_length=MAX_CURSOR_LENGTH,
        description="`next_cursor` of the previous page; leave out for the first page.",
    ),
]
NEXT_CURSOR_DESCRIPTION = "Pass as `cursor` for the next page; null on the last page."


class CursorRefused(ValueError):
    """A cursor this list did not hand out (or one of another list): 422 ``invalid_cursor``."""

    def __init__(self, message: str = "cursor: not one this list gave; start again without it"):
        super().__init__(message)


def encode(*values: str) -> str:
    raw = json.dumps(list(values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(cursor: str, *, parts: int) -> list[str]:
    """The values ``encode`` was given, or :class:`CursorRefused`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError):
        raise CursorRefused from None
    if (
        not isinstance(values, list)
        or len(values) != parts
        or not all(isinstance(value, str) for value in values)
    ):
        raise CursorRefused
    return values


def after_moment(at: datetime, identifier: object) -> str:
    """The cursor after an item of a list sorted by a moment and then an id."""
    return encode(as_utc(at).isoformat(), str(identifier))


def moment_and_id(cursor: str) -> tuple[datetime, str]:
    """A cursor of a list sorted by a moment and then an id (newest first, say)."""
    moment, identifier = decode(cursor, parts=2)
    try:
        at = datetime.fromisoformat(moment)
    except ValueError:
        raise CursorRefused from None
    if at.tzinfo is None:
        raise CursorRefused
    return at.astimezone(UTC), identifier


def moment_and_uuid(cursor: str) -> tuple[datetime, uuid.UUID]:
    at, identifier = moment_and_id(cursor)
    try:
        return at, uuid.UUID(identifier)
    except ValueError:
        raise CursorRefused from None


def after_number(number: int) -> str:
    """The cursor after an item of a list sorted by a number (newest, highest first, say)."""
    return encode(str(number))


def number_of(cursor: str | None) -> int | None:
    """The number a cursor of :func:`after_number` carries; None without a cursor."""
    if cursor is None:
        return None
    [number] = decode(cursor, parts=1)
    if not number.isdigit():
        raise CursorRefused
    return int(number)
