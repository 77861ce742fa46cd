"""Gettext catalogues read from their ``.po`` sources: no compiled ``.mo`` to keep in sync.

A service keeps English ``msgid``s in its code and one ``.po`` per language and part; at start it
compiles each into memory with Babel. An entry not yet translated is left out, so the English
text shows instead of an empty one. A translation keeps the ``%(name)s`` placeholders of its
``msgid`` (:func:`placeholders`), which the services' catalogue checks compare.
"""

import argparse
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import Translations

# Fixed header dates and no source locations: a ``.po`` file changes only when a message does.
STABLE_DATE = datetime(2026, 12, 1, tzinfo=UTC)
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([a-z%])")


def placeholders(text: str) -> list[str]:
    """The named ``%(...)s`` placeholders of a message (a translation must keep the same)."""
    return sorted(f"{name}:{kind}" for name, kind in PLACEHOLDER.findall(text) if kind != "%")


def read(path: Path, locale: str, *, project: str) -> Catalog:
    """The catalogue at ``path``, or an empty one if there is none yet."""
    if not path.exists():
        return Catalog(locale=locale, project=project)
    with path.open("rb") as file:
        return read_po(file, locale=locale)


def write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        write_po(file, catalog, width=100, no_location=True, sort_output=True)


def new_catalog(locale: str, *, project: str) -> Catalog:
    return Catalog(
        locale=locale,
        project=project,
        fuzzy=False,
        creation_date=STABLE_DATE,
        revision_date=STABLE_DATE,
    )


def compiled(path: Path, locale: str) -> Translations:
    """The ``.po`` file at ``path`` compiled in memory, its untranslated entries left out."""
    with path.open("rb") as file:
        catalog = read_po(file, locale=locale)
    for message in list(catalog):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.id and not all(strings):
            catalog.delete(message.id, context=message.context)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def command(
    argv: list[str] | None,
    *,
    prog: str,
    update: Callable[[], None],
    missing: Callable[[], list[str]],
) -> int:
    """``update`` (new msgids into the ``.po`` files, unused ones out) or ``check`` (exit 1 and
    list what is missing): the command line of a service's catalogues."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("command", choices=["update", "check"])
    args = parser.parse_args(argv)
    if args.command == "update":
        update()
    lacking = missing()
    for line in lacking:
        print(line)
    return 1 if lacking and args.command == "check" else 0
