"""Rules of who may sign in and how, whatever stores or transports them.

Readable without knowing the stack: organisations, users and their roles, the password policy an
organisation sets (TOM-T2c), the lockout schedule (TOM-T5) and the bounds of supplier access
grants (TOM-O3).
"""

import hashlib
import ipaddress
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class OrganisationKind(StrEnum):
    controller = "controller"
    processor = "processor"
    operator = "operator"


class OrganisationStatus(StrEnum):
    active = "active"
    disabled = "disabled"  # its contract ended: an operator disabled it (it stays, with its id)


class UserStatus(StrEnum):
    invited = "invited"  # has not chosen a password yet
    active = "active"
    disabled = "disabled"
    removed = "removed"


ROLES = ("admin", "member", "auditor")  # auditor: read-only, for audits under DPA-11 (TOM-T2e)


class MfaRequirement(StrEnum):
    none = "none"
    admins = "admins"
    everyone = "everyone"


# A new organisation asks its admins for a second factor until its admins choose otherwise (issue
# 13.2): the accounts that can change policies, invite people and approve supplier access are the
# ones an attacker wants first, so the safe choice is the one made without asking.
NEW_ORGANISATION_MFA = MfaRequirement.admins


class GrantStatus(StrEnum):
    requested = "requested"
    approved = "approved"
    denied = "denied"
    revoked = "revoked"
    expired = "expired"


class IdentityRuleBroken(ValueError):
    """A request the rules refuse; the message says what to change."""


class PasswordRefused(IdentityRuleBroken):
    pass


MIN_LENGTH_FLOOR = 8
MAX_LENGTH = 128  # ASVS 6.2.9: at least 64 characters allowed
DEFAULT_LOCK_MINUTES = (1, 5, 15, 60)


@dataclass(frozen=True)
class PasswordPolicy:
    """An organisation's password rules. No composition rules (ASVS 6.2.5)."""

    min_length: int = 12
    history: int = 0  # refuse the last N passwords
    mfa: MfaRequirement = MfaRequirement.none

    def __post_init__(self) -> None:
        if not MIN_LENGTH_FLOOR <= self.min_length <= 64:
            raise IdentityRuleBroken(f"min_length must be between {MIN_LENGTH_FLOOR} and 64")
        if not 0 <= self.history <= 24:
            raise IdentityRuleBroken("history must be between 0 and 24")

    def requires_mfa(self, role: str) -> bool:
        return self.mfa is MfaRequirement.everyone or (
            self.mfa is MfaRequirement.admins and role == "admin"
        )


def check_password(
    policy: PasswordPolicy,
    password: str,
    *,
    common: frozenset[str],
    personal: Iterable[str] = (),
) -> None:
    """Refuse a password the policy or the shipped list of common passwords rules out."""
    length = len(unicodedata.normalize("NFC", password))
    if length < policy.min_length:
        raise PasswordRefused(f"password must have at least {policy.min_length} characters")
    if length > MAX_LENGTH:
        raise PasswordRefused(f"password must have at most {MAX_LENGTH} characters")
    lowered = password.lower()
    stem = lowered.rstrip("0123456789!@#$%^&*.?-_ ")
    if lowered in common or stem in common or _looks_breached(lowered):
        raise PasswordRefused("password is too common or too predictable; choose another")
    for word in personal:
        if len(word) >= 4 and word.lower() in lowered:
            raise PasswordRefused("password must not contain your e-mail address or name")


def _looks_breached(lowered: str) -> bool:
    """One repeated character, or one short pattern repeated, is what breach corpora are full of."""
    if len(set(lowered)) <= 2:
        return True
    return any(
        len(lowered) % size == 0 and lowered == lowered[:size] * (len(lowered) // size)
        for size in range(1, 5)
    )


@dataclass(frozen=True)
class LockoutPolicy:
    """After ``threshold`` failures the account locks for the next duration of ``lock_minutes``.

    The durations grow and the last one repeats; after ``permanent_after`` locks in a row (if set)
    the lock stays until an admin releases it. Default: temporary only, so that an attacker who
    knows an address cannot lock its owner out for good.
    """

    threshold: int = 5
    lock_minutes: tuple[int, ...] = DEFAULT_LOCK_MINUTES
    permanent_after: int | None = None

    def __post_init__(self) -> None:
        if not 3 <= self.threshold <= 100:
            raise IdentityRuleBroken("lock threshold must be between 3 and 100")
        if not self.lock_minutes or any(not 1 <= m <= 24 * 60 for m in self.lock_minutes):
            raise IdentityRuleBroken("lock durations must be between 1 and 1440 minutes")
        if list(self.lock_minutes) != sorted(self.lock_minutes):
            raise IdentityRuleBroken("lock durations must not decrease")
        if self.permanent_after is not None and not 1 <= self.permanent_after <= 50:
            raise IdentityRuleBroken("permanent_after must be between 1 and 50")

    def lock_after(self, previous_locks: int) -> timedelta | None:
        """How long the next lock lasts; None means permanent (until an admin releases it)."""
        if self.permanent_after is not None and previous_locks + 1 >= self.permanent_after:
            return None
        index = min(previous_locks, len(self.lock_minutes) - 1)
        return timedelta(minutes=self.lock_minutes[index])


@dataclass(frozen=True)
class Lock:
    until: datetime | None
    permanent: bool
    number: int


def next_lock(policy: LockoutPolicy, *, previous_locks: int, now: datetime) -> Lock:
    duration = policy.lock_after(previous_locks)
    return Lock(
        until=None if duration is None else now + duration,
        permanent=duration is None,
        number=previous_locks + 1,
    )


IPV6_THROTTLE_PREFIX = 64  # one customer's site or one subscriber: ISPs hand out /64 or more


def throttle_key(address: str) -> str:
    """The client a per-address login throttle counts against (TOM-T5, ASVS 6.3.1).

    An IPv6 client usually holds a whole /64 and picks a fresh address from it at will, so it
    counts as its /64; an IPv4 address, or one mapped into IPv6, counts alone. Anything else (a
    test client's name) is counted as it is.
    """
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return address[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, IPV6_THROTTLE_PREFIX), strict=False))
    return str(parsed)


GRANT_MAX_MINUTES = 7 * 24 * 60


def check_grant_minutes(minutes: int) -> None:
    if not 5 <= minutes <= GRANT_MAX_MINUTES:
        raise IdentityRuleBroken(f"minutes must be between 5 and {GRANT_MAX_MINUTES}")


def grant_roles(access: str) -> tuple[str, ...]:
    """An operator under a grant reads (auditor) or changes (member); never administers."""
    return ("auditor",) if access == "read" else ("member",)


# A maintenance notice announces one bounded window, sent ahead of it; the platform's bounds,
# not a setting. A notice cannot become standing access (TOM-O3).
NOTICE_MAX_HOURS = 24
NOTICE_MIN_LEAD_HOURS = 1.0  # the least lead a deployment may configure (tests may go lower)


def check_notice_window(
    *, starts_at: datetime, ends_at: datetime, now: datetime, lead: timedelta
) -> None:
    """Refuse a window that has begun, comes without the customer's notice period, or is long."""
    if ends_at <= starts_at:
        raise IdentityRuleBroken("ends_at must be after starts_at")
    if starts_at < now:
        raise IdentityRuleBroken("starts_at must not be in the past")
    if starts_at < now + lead:
        hours = lead.total_seconds() / 3600
        raise IdentityRuleBroken(
            f"starts_at must be at least {hours:g} hours from now (the customer's notice period)"
        )
    if ends_at - starts_at > timedelta(hours=NOTICE_MAX_HOURS):
        raise IdentityRuleBroken(f"a maintenance window lasts at most {NOTICE_MAX_HOURS} hours")


@dataclass(frozen=True)
class Window:
    starts_at: datetime
    ends_at: datetime

    def covers(self, start: datetime, end: datetime) -> bool:
        return self.starts_at <= start and end <= self.ends_at


# -- Second factors and passkeys (TOM-T2b) ---------------------------------------------------
# The ``amr`` values (RFC 8176) a session's methods are drawn from: ``pwd`` password, ``otp``
# TOTP code, ``rec`` recovery code, ``hwk`` a passkey (proof of possession of a key the
# authenticator holds), ``mfa`` a passkey that verified its user (PIN or biometric) signing in
# without a password: possession and the user's verification together.
SECOND_FACTOR_METHODS = frozenset({"otp", "rec", "hwk", "mfa"})
PHISHING_RESISTANT_METHODS = frozenset({"hwk"})
PASSKEY_NAME_MAX = 60


def is_multi_factor(methods: Iterable[str]) -> bool:
    """Whether a session's authentication included a second factor (ASVS 6.3.3)."""
    return not SECOND_FACTOR_METHODS.isdisjoint(methods)


def is_phishing_resistant(methods: Iterable[str]) -> bool:
    """Whether a session was proven by a passkey, bound to pactum's origin (ASVS 6.6.2)."""
    return not PHISHING_RESISTANT_METHODS.isdisjoint(methods)


@dataclass(frozen=True)
class SecondFactorPolicy:
    """Which second factors an organisation accepts from a user of a given role.

    ``phishing_resistant_admins``: an admin's second factor must be a passkey; a TOTP code or a
    recovery code can be relayed by a fake sign-in page, a passkey signs for pactum's origin only.
    ``passwordless``: a passkey that verifies its user may sign in without the password.
    """

    mfa: MfaRequirement = MfaRequirement.none
    phishing_resistant_admins: bool = False
    passwordless: bool = False

    def requires_mfa(self, role: str) -> bool:
        return PasswordPolicy(mfa=self.mfa).requires_mfa(role) or self.requires_passkey(role)

    def requires_passkey(self, role: str) -> bool:
        return self.phishing_resistant_admins and role == "admin"

    def accepted(self, role: str, *, has_totp: bool, has_passkey: bool) -> tuple[str, ...]:
        """The second-factor steps this user may take, in the order a page offers them."""
        if self.requires_passkey(role):
            return ("passkey",) if has_passkey else ()
        offered = []
        if has_passkey:
            offered.append("passkey")
        if has_totp:
            offered.append("otp")
        if has_totp or has_passkey:
            offered.append("rec")
        return tuple(offered)


def required_mfa(kind: str, chosen: MfaRequirement) -> MfaRequirement:
    """An operator organisation's staff reach customers' data under grants: every one of them
    signs in with a second factor, whatever its admins chose (TOM-T2b, ASVS 6.3.3)."""
    return MfaRequirement.everyone if kind == OrganisationKind.operator else chosen


def check_mfa_choice(kind: str, chosen: MfaRequirement) -> None:
    if required_mfa(kind, chosen) is not chosen:
        raise IdentityRuleBroken(
            "an operator organisation requires a second factor of everyone (mfa: everyone)"
        )


def check_passkey_name(name: str) -> str:
    """A passkey's name, as its owner tells their devices apart ("work laptop")."""
    cleaned = " ".join(name.split())
    if not 1 <= len(cleaned) <= PASSKEY_NAME_MAX:
        raise IdentityRuleBroken(f"a passkey's name has 1 to {PASSKEY_NAME_MAX} characters")
    return cleaned


# -- Sessions (ASVS 7.3) -----------------------------------------------------------------------
# A session ends at its absolute lifetime (a deployment setting) or after going unused for the
# organisation's idle timeout, whichever comes first. Activity is measured at each refresh: an
# access token lives a few minutes, so a client in use refreshes at least that often.
DEFAULT_IDLE_MINUTES = 30
IDLE_MINUTES_MIN = 5
IDLE_MINUTES_MAX = 24 * 60


def check_idle_minutes(minutes: int, *, session_hours: int) -> None:
    if not IDLE_MINUTES_MIN <= minutes <= IDLE_MINUTES_MAX:
        raise IdentityRuleBroken(
            f"session_idle_minutes must be between {IDLE_MINUTES_MIN} and {IDLE_MINUTES_MAX}"
        )
    if minutes > session_hours * 60:
        raise IdentityRuleBroken(
            f"session_idle_minutes must not exceed the session lifetime ({session_hours * 60} "
            "minutes): an idle timeout longer than the session never applies"
        )


def device_digest(*, user_id: str, agent: str | None, address: str | None) -> str:
    """What tells one of a user's devices from another: the browser (its User-Agent) and the
    network it signs in from (an IPv6 client's /64), as a digest: neither is kept."""
    network = throttle_key(address) if address else ""
    return hashlib.sha256(f"{user_id}\n{agent or ''}\n{network}".encode()).hexdigest()


def went_idle(*, last_active: datetime, now: datetime, idle_minutes: int) -> bool:
    """Whether a session last used at ``last_active`` has been idle too long by ``now``."""
    return now - last_active > timedelta(minutes=idle_minutes)


# A change that hands the account over (a second factor changed or removed, new recovery codes,
# another sign-in address, a new password) needs an authentication this recent: the session's
# sign-in or a step-up.
STEP_UP_MINUTES = 5

# How long the link that proves a new sign-in address works (once).
EMAIL_CHANGE_MINUTES = 60


def recently_authenticated(
    *, signed_in_at: datetime, verified_at: datetime | None, now: datetime
) -> bool:
    latest = max(signed_in_at, verified_at) if verified_at is not None else signed_in_at
    return now - latest <= timedelta(minutes=STEP_UP_MINUTES)
