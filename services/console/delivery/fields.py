"""Reading a posted form without trusting it: bounded text, known choices, ids that look like ids.

Nothing a person (or a forged request) posts may crash a page: a value too long, a choice that
is not offered or an id that is not a UUID becomes an error on the form or the 404 page.
"""

import re
import uuid
from collections.abc import Iterable

from fastapi import Request
from starlette.datastructures import FormData

from services.console.web import NotYours

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
TOPICS = ("breach", "subprocessor", "security", "agreement")
LANGUAGES = ("nl", "fr", "en")


async def posted(request: Request) -> FormData:
    """The form of this request (already read once by the CSRF check, so it is cached)."""
    return await request.form()


def text(form: FormData, name: str, *, limit: int = 2000) -> str:
    """A field as stripped text, or ``""``; longer than ``limit`` is cut (the form says so)."""
    value = form.get(name)
    return value.strip()[: limit + 1] if isinstance(value, str) else ""


def chosen(form: FormData, name: str, allowed: Iterable[str]) -> list[str]:
    """The ticked values of a group of checkboxes that are among ``allowed``, in that order."""
    ticked = {value for value in form.getlist(name) if isinstance(value, str)}
    return [value for value in allowed if value in ticked]


def looks_like_email(value: str) -> bool:
    return len(value) <= 254 and bool(EMAIL.match(value))


def an_id(value: str) -> str:
    """A path's id as a UUID string; anything else is a page that does not exist."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise NotYours from None
