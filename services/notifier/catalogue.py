"""The notices' message catalogues: extract, update, and check that nl and fr are complete.

Messages are English ``msgid``s marked in the notifier's code with ``msg("...")`` (or
``msg_in("context", "...")`` for a fact's label, a term, a role); each language has one catalogue,
read from its ``.po`` when a notice is first rendered (no compiled ``.mo`` to keep in sync):

    locale/nl_BE/LC_MESSAGES/notices.po, locale/fr_BE/LC_MESSAGES/notices.po

    python -m services.notifier.catalogue update   # add new msgids (empty), drop unused ones
    python -m services.notifier.catalogue check    # exit 1 and list what nl or fr lacks

The same as ``pybabel extract -k msg -k msg_in:1c,2`` and ``pybabel update``, with stable headers.
"""

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from babel.messages.extract import extract_from_file

from services.notifier.domain import Locale
from services.notifier.templates import BABEL_LOCALES, TRANSLATED, po_path
from shared import catalogues

ROOT = Path(__file__).parent
PROJECT = "pactum notifier"
KEYWORDS: dict[str, Any] = {"msg": None, "msg_in": ((1, "c"), 2)}
Key = tuple[str, str | None]  # msgid, context


def extract() -> dict[Key, list[tuple[str, int]]]:
    """Every marked message (with its context) and where it is used."""
    found: dict[Key, list[tuple[str, int]]] = {}
    for path in sorted(ROOT.glob("*.py")):
        if path.name == "catalogue.py":
            continue
        for line, message, _comments, context in extract_from_file(
            "python", str(path), keywords=KEYWORDS
        ):
            if isinstance(message, str) and message:
                found.setdefault((message, context), []).append((path.name, line))
    return found


def update() -> None:
    messages = extract()
    for locale in TRANSLATED:
        path = po_path(locale)
        old = catalogues.read(path, BABEL_LOCALES[locale], project=PROJECT)
        new = catalogues.new_catalog(BABEL_LOCALES[locale], project=PROJECT)
        for (msgid, context), places in sorted(messages.items(), key=lambda item: item[0][0]):
            previous = old.get(msgid, context=context)
            string = previous.string if previous is not None else ""
            flags = ["python-format"] if catalogues.placeholders(msgid) else []
            new.add(msgid, string, locations=places, context=context, flags=flags)
        catalogues.write(path, new)


def missing(paths: Callable[[Locale], Path] = po_path) -> list[str]:
    """What nl or fr lacks or holds beyond the code: ``lang: msgid`` (the catalogues at
    ``paths``, by default the notifier's own)."""
    lacking = []
    messages = extract()
    for locale in TRANSLATED:
        catalog = catalogues.read(paths(locale), BABEL_LOCALES[locale], project=PROJECT)
        for msgid, context in messages:
            entry = catalog.get(msgid, context=context)
            text = str(entry.string or "") if entry is not None else ""
            if not text:
                lacking.append(f"{locale}: untranslated: {msgid}")
            elif catalogues.placeholders(text) != catalogues.placeholders(msgid):
                lacking.append(f"{locale}: placeholders differ: {msgid}")
        for entry in catalog:
            if entry.id and (entry.id, entry.context) not in messages:
                lacking.append(f"{locale}: not in the code (run update): {entry.id}")
    return lacking


def main(argv: list[str] | None = None) -> int:
    return catalogues.command(
        argv, prog="python -m services.notifier.catalogue", update=update, missing=missing
    )


if __name__ == "__main__":
    sys.exit(main())
