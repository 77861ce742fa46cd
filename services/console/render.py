"""Rendering a page: the Jinja2 environment, its filters, and the answer every page shares.

Templates are named after what a person does there (``invite_user.html``). Every page gets the
person (or None), the language and its gettext, the CSRF token for its forms, and the path it is
on (for the navigation's ``aria-current``). Pages are never cached: they show personal data.
"""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.console import language as lang
from services.console.sessions import Person

TEMPLATES_DIR = Path(__file__).parent / "templates"

environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)


def time_left(
    deadline: str | datetime | None, language: str, *, now: datetime | None = None
) -> str:
    """ "2 days 4 hours left", or how long ago it passed, in the page's language."""
    moment = lang.parse_time(deadline)
    if moment is None:
        return ""
    translations = lang.translations(language)
    remaining = moment - (now or datetime.now(UTC))
    seconds = int(abs(remaining.total_seconds()))
    days, hours, minutes = seconds // 86400, seconds % 86400 // 3600, seconds % 3600 // 60
    parts = []
    if days:
        parts.append(translations.ngettext("%(num)d day", "%(num)d days", days) % {"num": days})
    if hours or days:
        parts.append(translations.ngettext("%(num)d hour", "%(num)d hours", hours) % {"num": hours})
    if not days and (minutes or not hours):
        parts.append(
            translations.ngettext("%(num)d minute", "%(num)d minutes", minutes) % {"num": minutes}
        )
    span = " ".join(parts)
    if remaining.total_seconds() >= 0:
        return translations.gettext("%(span)s left") % {"span": span}
    return translations.gettext("passed %(span)s ago") % {"span": span}


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> HTMLResponse:
    language: str = request.state.language
    person: Person | None = getattr(request.state, "person", None)
    translations = lang.translations(language)
    values: dict[str, Any] = {
        "request": request,
        "person": person,
        "language": language,
        "languages": lang.LANGUAGE_NAMES,
        "csrf_token": request.state.csrf_token,
        "path": request.url.path,
        "errors": [],
        "values": {},
        "done": request.query_params.get("done", ""),
        "when": lambda value: lang.when(value, language),
        "when_long": lambda value: lang.when_long(value, language),
        "day": lambda value: lang.day(value, language),
        "machine_time": lang.machine_time,
        "time_left": lambda value: time_left(value, language),
    }
    values.update(context or {})
    page = environment.get_template(template)
    # Rendering is synchronous: nothing else runs between installing this page's language and
    # rendering it, so concurrent pages in other languages cannot mix.
    environment.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    html = page.render(values)
    return HTMLResponse(html, status_code=status)  # no-store: shared.runtime.RequestContext
