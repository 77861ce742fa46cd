"""How ``pactum`` answers: text for people, JSON for machines (``--json`` on every command).

Text: sentences, and lists as aligned tables whose times are Brussels time with the zone named
(the platform's users are Belgian; an operator comparing with a customer's screen sees the same
clock). JSON: one document on stdout, its keys stable (documented in docs/operations.md), times in
RFC 3339 UTC, ids as strings; an error is ``{"error": {"exit_code": N, "message": ...}}`` on
stdout besides the line on stderr. Progress of long work goes to stderr only, so stdout stays one
parseable document.
"""

import json
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import Enum
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

BRUSSELS = ZoneInfo("Europe/Brussels")


def brussels(moment: datetime | None) -> str:
    """A moment as Brussels time with its zone named: ``2026-12-06 23:40 CET``."""
    if moment is None:
        return "-"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BRUSSELS).strftime("%Y-%m-%d %H:%M %Z")


def plain(value: Any) -> Any:
    """A value as JSON holds it: RFC 3339 UTC times, ids and enums as strings."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, uuid.UUID | Enum):
        return str(value.value if isinstance(value, Enum) else value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def shown(value: Any) -> str:
    """A value as a table cell."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return brussels(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> list[str]:
    """Rows as lines of an aligned table under upper-case headings (kubectl's look)."""
    cells = [[column.upper().replace("_", " ") for column in columns]]
    cells += [[shown(row.get(column)) for column in columns] for row in rows]
    widths = [max(len(line[index]) for line in cells) for index in range(len(columns))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in cells
    ]


class Answer:
    """What one command says: lines of text, or the facts of one JSON document."""

    def __init__(self, out: TextIO, *, as_json: bool) -> None:
        self.out = out
        self.as_json = as_json
        self.document: dict[str, Any] = {}

    def say(self, text: str) -> None:
        """A line for people (not printed with ``--json``)."""
        if not self.as_json:
            print(text, file=self.out)

    def set(self, **facts: Any) -> None:
        """Facts of the JSON document (ignored in text)."""
        self.document.update(facts)

    def finish(self) -> None:
        if self.as_json:
            print(json.dumps(plain(self.document), ensure_ascii=False), file=self.out)

    def fail(self, exit_code: int, message: str, command: str) -> None:
        print(f"pactum {command}: {message}", file=sys.stderr)
        if self.as_json:
            print(
                json.dumps({"error": {"exit_code": exit_code, "message": message}}), file=self.out
            )

    @contextmanager
    def progress(self, what: str, total: int | None) -> Iterator[Any]:
        """A progress bar on stderr for long work (only on a terminal; silent in pipes and tests).
        Yields a function to call with how many steps were done since the last call."""
        console = Console(file=sys.stderr)
        if not console.is_terminal:
            yield lambda _steps=1, **_: None
            return
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task(what, total=total)

            def advance(steps: int = 1, *, description: str | None = None) -> None:
                bar.update(task, advance=steps, description=description or what)

            yield advance
