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
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Query
from sqlalchemy import Select

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
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
Limit = Annotated[
    int,
    Query(
        ge=1,
        le=MAX_LIMIT,
        description=f"Items per page: {DEFAULT_LIMIT} unless given, at most {MAX_LIMIT}.",
    ),
]
Item = TypeVar("Item")
Listing = TypeVar("Listing", bound=Select[*tuple[Any, ...]])


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


def after_number(number: int, identifier: object) -> str:
    """The cursor after an item of a list sorted by a number and then an id."""
    return encode(str(number), str(identifier))


def number_and_uuid(cursor: str) -> tuple[int, uuid.UUID]:
    """A cursor of a list sorted by a number (an instruction's, a version's) and then an id."""
    number, identifier = decode(cursor, parts=2)
    try:
        return int(number), uuid.UUID(identifier)
    except ValueError:
        raise CursorRefused from None


def after_position(position: int) -> str:
    """The cursor after an item of a list sorted by a unique number (a position)."""
    return encode(str(position))


def position(cursor: str) -> int:
    (value,) = decode(cursor, parts=1)
    try:
        return int(value)
    except ValueError:
        raise CursorRefused from None


def keyset(
    query: Listing,
    *,
    sort: Any,
    identifier: Any,
    after: tuple[Any, Any] | None,
    newest_first: bool = False,
) -> Listing:
    """``query`` in the list's order (``sort``, then ``identifier`` to break ties), starting after
    the item ``after`` names (its sort value and id): the next page, whatever was added since."""
    if after is not None:
        value, last = after
        beyond = sort < value if newest_first else sort > value
        query = query.where(beyond | ((sort == value) & (identifier > last)))
    return query.order_by(sort.desc() if newest_first else sort, identifier)


def split(found: Sequence[Item], limit: int) -> tuple[list[Item], Item | None]:
    """The page out of the ``limit + 1`` rows a list fetched, and the page's last item when more
    follow (what the next cursor names), else None."""
    page = list(found[:limit])
    return page, page[-1] if len(found) > limit else None


def number_of(cursor: str | None) -> int | None:
    """The position a cursor of :func:`after_position` carries; None without a cursor."""
    return None if cursor is None else position(cursor)
