"""The console's message catalogues: extract, update, and check that nl and fr are complete.

Messages are English ``msgid``s in templates (``_()``, ``ngettext()``, ``{% trans %}``) and in
Python (``t(request, "...")``, ``gettext``, ``ngettext``). Each part of the console has its own
catalogue per language, so that people working on different parts never edit the same file:

    locales/<lang>/LC_MESSAGES/<part>.po     part = a folder of the console (account, inbox, ...)
                                              or "base" for the shared templates and modules

    python -m services.console.catalogue update   # add new msgids (empty), drop unused ones
    python -m services.console.catalogue check    # exit 1 and list what nl or fr lacks
"""

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file

from shared import catalogues

ROOT = Path(__file__).parent
TEMPLATES = ROOT / "templates"
LOCALES = ROOT / "locales"
TRANSLATED = ("nl", "fr")
PYTHON_KEYWORDS: dict[str, Any] = {"t": (2,), "gettext": None, "ngettext": (1, 2), "_": None}
PROJECT = "pactum console"


def part_of(path: Path) -> str:
    """Which catalogue a source file's messages belong to."""
    relative = path.relative_to(TEMPLATES if path.is_relative_to(TEMPLATES) else ROOT)
    return relative.parts[0] if len(relative.parts) > 1 else "base"


def sources() -> Iterator[Path]:
    yield from sorted(TEMPLATES.rglob("*.html"))
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" not in path.parts and path.name != "catalogue.py":
            yield path


def extract() -> dict[str, dict[str | tuple[str, str], list[tuple[str, int]]]]:
    """Every msgid (or singular/plural pair) by part, with where it is used."""
    parts: dict[str, dict[str | tuple[str, str], list[tuple[str, int]]]] = {}
    for path in sources():
        if path.suffix == ".html":
            method = "jinja2.ext.babel_extract"
            options = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}
            keywords: dict[str, Any] = {"_": None, "gettext": None, "ngettext": (1, 2)}
        else:
            method, options, keywords = "python", {}, PYTHON_KEYWORDS
        found = extract_from_file(method, str(path), keywords=keywords, options=options)
        for line, message, _comments, _context in found:
            key = message if isinstance(message, str) else (message[0], message[1])
            if not key:
                continue
            where = str(path.relative_to(ROOT))
            parts.setdefault(part_of(path), {}).setdefault(key, []).append((where, line))
    return parts


def _po(language: str, part: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{part}.po"


def _read(path: Path, language: str) -> Catalog:
    return catalogues.read(path, language, project=PROJECT)


def update() -> None:
    for part, messages in extract().items():
        for language in TRANSLATED:
            path = _po(language, part)
            old = _read(path, language)
            new = catalogues.new_catalog(language, project=PROJECT)
            for key, places in messages.items():
                previous = old.get(key if isinstance(key, str) else key[0])
                blank: str | tuple[str, str] = "" if isinstance(key, str) else ("", "")
                string = previous.string if previous is not None else blank
                new.add(key, string, locations=places)
            catalogues.write(path, new)


def missing() -> list[str]:
    """What nl or fr lacks: ``lang part: msgid``."""
    lacking = []
    for part, messages in extract().items():
        for language in TRANSLATED:
            catalog = _read(_po(language, part), language)
            for key in messages:
                msgid = key if isinstance(key, str) else key[0]
                entry = catalog.get(msgid)
                strings = entry.string if entry is not None else ""
                texts = [
                    str(s or "")
                    for s in (strings if isinstance(strings, (tuple, list)) else [strings])
                ]
                if not all(texts):
                    lacking.append(f"{language} {part}: {msgid}")
                elif any(
                    catalogues.placeholders(text) != catalogues.placeholders(msgid)
                    for text in texts
                ):
                    lacking.append(f"{language} {part}: placeholders differ: {msgid}")
    return lacking + inconsistent()


def inconsistent() -> list[str]:
    """Messages that two parts translate differently: a person would see one word two ways."""
    found = []
    for language in TRANSLATED:
        seen: dict[str, dict[str, str]] = {}
        for po in sorted((LOCALES / language / "LC_MESSAGES").glob("*.po")):
            for message in _read(po, language):
                msgid = message.id if isinstance(message.id, str) else message.id[0]
                if msgid and message.string:
                    seen.setdefault(msgid, {})[po.stem] = str(message.string)
        for msgid, by_part in sorted(seen.items()):
            if len(set(by_part.values())) > 1:
                found.append(f"{language} inconsistent: {msgid}: {by_part}")
    return found


def main(argv: list[str] | None = None) -> int:
    return catalogues.command(
        argv, prog="python -m services.console.catalogue", update=update, missing=missing
    )


if __name__ == "__main__":
    sys.exit(main())
