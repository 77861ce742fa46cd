"""Identity's lists page as every list does (``shared/pagination.py``); a refused cursor is one
of identity's rule breaks, answered as its other refusals are."""

from services.identity.domain import IdentityRuleBroken
from shared import pagination

encode = pagination.encode


class CursorRefused(IdentityRuleBroken, pagination.CursorRefused):
    """A cursor this API did not hand out (or one for another list): 422 ``invalid_cursor``."""


def decode(cursor: str, *, parts: int) -> list[str]:
    try:
        return pagination.decode(cursor, parts=parts)
    except pagination.CursorRefused as refused:
        raise CursorRefused(str(refused)) from None
