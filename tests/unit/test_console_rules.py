"""The console's pure rules: languages, CSRF tokens, session lifetimes, page timing, deadlines."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.console import domain
from services.console.apis import busy_seconds
from services.console.language import when, when_long
from services.console.render import time_left
from services.console.web import safe_next

KEY = b"k" * 32


def test_the_persons_own_choice_beats_the_browsers_languages() -> None:
    assert domain.choose_language("fr", "nl-BE,nl;q=0.9") == "fr"


def test_accept_language_is_read_by_its_weights_and_unknown_languages_fall_back_to_dutch() -> None:
    assert domain.choose_language(None, "de-DE,fr-BE;q=0.8,en;q=0.9") == "en"
    assert domain.choose_language("", "fr-BE") == "fr"
    assert domain.choose_language("xx", "de,es;q=0.5") == "nl"
    assert domain.choose_language(None, None) == "nl"
    assert domain.choose_language(None, "en;q=nonsense,fr") == "fr"


@given(st.text(max_size=200))
def test_any_accept_language_header_gives_a_language_we_speak(header: str) -> None:
    assert domain.choose_language(None, header) in domain.LANGUAGES


def test_a_csrf_token_belongs_to_one_browser_and_one_key() -> None:
    token = domain.csrf_token(KEY, "browser-a")
    assert domain.csrf_token_matches(KEY, "browser-a", token)
    assert not domain.csrf_token_matches(KEY, "browser-b", token)
    assert not domain.csrf_token_matches(b"other" * 8, "browser-a", token)
    assert not domain.csrf_token_matches(KEY, "", domain.csrf_token(KEY, ""))


def test_the_database_never_holds_a_cookie_value() -> None:
    cookie = domain.new_cookie_value()
    assert len(cookie) >= 43 and domain.session_key(cookie) != cookie
    assert domain.session_key(cookie) == domain.session_key(cookie)


def test_a_session_ends_at_its_lifetime_or_when_idle_too_long__TOM_T2b() -> None:
    lifetimes = domain.Lifetimes(session=timedelta(hours=12), idle=timedelta(minutes=30))
    start = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    assert not lifetimes.expired(created_at=start, last_seen_at=start, now=start)
    later = start + timedelta(minutes=31)
    assert lifetimes.expired(created_at=start, last_seen_at=start, now=later)
    busy = start + timedelta(hours=12, seconds=1)
    assert lifetimes.expired(created_at=start, last_seen_at=busy, now=busy)


def test_an_access_token_is_refreshed_shortly_before_it_expires() -> None:
    now = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    assert domain.needs_refresh(None, now)
    assert domain.needs_refresh(now + timedelta(seconds=20), now)
    assert not domain.needs_refresh(now + timedelta(minutes=4), now)


def test_parallel_api_calls_count_once_in_a_pages_timing() -> None:
    assert busy_seconds([]) == 0
    assert busy_seconds([(0.0, 1.0), (0.5, 1.5), (3.0, 4.0)]) == 2.5
    assert busy_seconds([(0.0, 2.0), (0.5, 1.0)]) == 2.0


def test_only_local_paths_are_followed_after_signing_in() -> None:
    assert safe_next("/inbox?show=unread") == "/inbox?show=unread"
    for hostile in ("//evil.example", "https://evil.example", "/\\evil.example", "", None):
        assert safe_next(hostile) == "/"


def test_times_are_shown_in_brussels_with_the_zone_said() -> None:
    winter = datetime(2026, 12, 9, 13, 30, tzinfo=UTC)
    assert when(winter, "en") == "9 Dec 2026, 14:30 (Brussels time)"
    assert "14:30" in when(winter, "nl") and "Brusselse tijd" in when(winter, "nl")
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert "14:00" in when_long(summer, "fr") and "heure de Bruxelles" in when_long(summer, "fr")
    assert when_long(winter, "en").startswith("Wednesday 9 December 2026, 14:30")


def test_a_deadline_says_how_long_is_left_or_how_long_ago_it_passed() -> None:
    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    deadline = now + timedelta(days=2, hours=4, minutes=10)
    assert time_left(deadline, "en", now=now) == "2 days 4 hours left"
    assert time_left(now + timedelta(minutes=42), "en", now=now) == "42 minutes left"
    assert time_left(now + timedelta(hours=5, minutes=3), "en", now=now) == "5 hours 3 minutes left"
    assert time_left(now - timedelta(hours=3), "en", now=now) == "passed 3 hours ago"
