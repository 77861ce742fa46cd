"""Dutch, French and English: the console's words and how it writes times.

Messages are English msgids translated by gettext catalogues in ``locales/<lang>/LC_MESSAGES``
(one ``.po`` per part of the console), read with Babel when the console starts: no build step.
Times are stored in UTC and shown in Europe/Brussels with the zone said, as Belgian public bodies
read them: "woensdag 9 december 2026 om 14:30 (Brusselse tijd)".
"""

from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.support import Translations

from services.console.domain import LANGUAGES
from shared.catalogues import compiled
from shared.moments import as_utc

LOCALES_DIR = Path(__file__).parent / "locales"
BRUSSELS = ZoneInfo("Europe/Brussels")
BABEL_LOCALES = {"nl": "nl_BE", "fr": "fr_BE", "en": "en_GB"}
LANGUAGE_NAMES = {"nl": "Nederlands", "fr": "Français", "en": "English"}


@cache
def translations(language: str) -> Translations:
    """Every catalogue of ``language`` merged into one (English needs none: msgids are English)."""
    merged = Translations()
    folder = LOCALES_DIR / language / "LC_MESSAGES"
    # The shared words (``base``) last: where a part repeats one, the shared translation holds.
    parts = sorted(folder.glob("*.po"), key=lambda po: (po.stem == "base", po.stem))
    for po in parts if language != "en" else []:
        # Untranslated entries are left out: they must not hide another part's translation.
        merged.merge(compiled(po, BABEL_LOCALES[language]))
    return merged


def babel_locale(language: str) -> Locale:
    return Locale.parse(BABEL_LOCALES.get(language, "nl_BE"))


def brussels_moment(value: str) -> datetime | None:
    """A Brussels wall-clock time from a form's ``datetime-local`` field
    (``2026-12-06T09:30``) as an aware UTC moment, or None if it is not one."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BRUSSELS)
    return moment.astimezone(UTC)


def parse_time(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return as_utc(value)
    return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))


ZONE_SAID = {"nl": "Brusselse tijd", "fr": "heure de Bruxelles", "en": "Brussels time"}


def when(value: str | datetime | None, language: str, *, with_zone: bool = True) -> str:
    """A moment as a person reads it, in Brussels time: "9 Dec 2026, 14:30 (Brussels time)"."""
    moment = parse_time(value)
    if moment is None:
        return ""
    text = format_datetime(
        moment.astimezone(BRUSSELS),
        "d MMM y, HH:mm",
        tzinfo=BRUSSELS,
        locale=babel_locale(language),
    )
    return f"{text} ({ZONE_SAID[language]})" if with_zone else text


def when_long(value: str | datetime | None, language: str) -> str:
    """A deadline in full: "Wednesday 9 December 2026, 14:30 (Brussels time)"."""
    moment = parse_time(value)
    if moment is None:
        return ""
    text = format_datetime(
        moment.astimezone(BRUSSELS),
        "EEEE d MMMM y, HH:mm",
        tzinfo=BRUSSELS,
        locale=babel_locale(language),
    )
    return f"{text} ({ZONE_SAID[language]})"


def day(value: str | datetime | None, language: str) -> str:
    moment = parse_time(value)
    if moment is None:
        return ""
    return format_date(moment.astimezone(BRUSSELS).date(), "long", locale=babel_locale(language))


def machine_time(value: str | datetime | None) -> str:
    """The ISO form for ``<time datetime>``."""
    moment = parse_time(value)
    return moment.isoformat() if moment else ""


__all__ = ["LANGUAGES", "LANGUAGE_NAMES", "day", "translations", "when", "when_long"]
