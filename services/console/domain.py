"""The console's own rules: a session's stages, its lifetimes, its CSRF tokens. Pure Python.

A person's console session passes through stages: after the password, a sign-in may wait for a
second factor (or for its enrolment when the organisation requires one) before it is *active*.
Only an active session holds tokens; a pending one holds only identity's short-lived challenge.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# How long before an access token's expiry the console refreshes it, and how long one request
# holds the right to refresh a session (others wait and then use the token it got).
REFRESH_MARGIN = timedelta(seconds=30)
REFRESH_LEASE = timedelta(seconds=10)
PENDING_LIFETIME = timedelta(minutes=10)  # the second step of a sign-in must follow soon
LANGUAGES = ("nl", "fr", "en")
DEFAULT_LANGUAGE = "nl"


class Stage(StrEnum):
    second_factor = "second_factor"  # password accepted, a code is due
    enrolment = "enrolment"  # password accepted, the organisation requires setting up MFA
    active = "active"


class Role(StrEnum):
    admin = "admin"
    member = "member"
    auditor = "auditor"


def new_cookie_value() -> str:
    """An unguessable session or CSRF cookie value (256 bits)."""
    return secrets.token_urlsafe(32)


def session_key(cookie_value: str) -> str:
    """What the database names a session by: the cookie's value never reaches storage."""
    return hashlib.sha256(cookie_value.encode()).hexdigest()


def csrf_token(key: bytes, binding: str) -> str:
    """The token a form carries: bound to the visitor's CSRF cookie, signed by the console."""
    return hmac.new(key, f"csrf|{binding}".encode(), hashlib.sha256).hexdigest()


def csrf_token_matches(key: bytes, binding: str, presented: str) -> bool:
    return bool(binding) and hmac.compare_digest(csrf_token(key, binding), presented)


@dataclass(frozen=True)
class Lifetimes:
    session: timedelta
    idle: timedelta

    def expired(self, *, created_at: datetime, last_seen_at: datetime, now: datetime) -> bool:
        """A session ends at its lifetime or after being idle too long, whichever comes first."""
        return now >= created_at + self.session or now >= last_seen_at + self.idle


def needs_refresh(access_expires_at: datetime | None, now: datetime) -> bool:
    return access_expires_at is None or now >= access_expires_at - REFRESH_MARGIN


def choose_language(chosen: str | None, accepted: str | None) -> str:
    """The person's own choice, else the first of ``Accept-Language`` we speak, else Dutch."""
    if chosen in LANGUAGES:
        return chosen
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accepted or "").split(",")):
        tag, _, parameters = part.strip().partition(";")
        weight = 1.0
        if parameters.strip().startswith("q="):
            try:
                weight = float(parameters.strip()[2:])
            except ValueError:
                weight = 0.0
        ranked.append((-weight, position, tag.strip().lower().split("-")[0]))
    for weight, _, primary in sorted(ranked):
        if weight < 0 and primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE
