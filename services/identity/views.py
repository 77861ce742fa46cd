"""How identity's records are shown to callers."""

from datetime import UTC, datetime

from services.identity.schemas import PolicyPublic, UserPublic
from services.identity.store import Organisation, UserAccount
from shared.events import Actor
from shared.moments import as_utc


def actor_of(user: UserAccount) -> Actor:
    """The user as an event names the one who acted (their name is sealed in audit)."""
    return Actor(
        id=str(user.id),
        organisation_id=str(user.organisation_id),
        name=user.display_name or None,
    )


def _locked(user: UserAccount) -> bool:
    until = user.locked_until
    return user.locked_permanently or (until is not None and as_utc(until) > datetime.now(UTC))


def user_public(user: UserAccount) -> UserPublic:
    return UserPublic(
        id=user.id,
        organisation_id=user.organisation_id,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        status=user.status,
        mfa_enrolled=user.mfa_enrolled_at is not None,
        locked=_locked(user),
        created_at=user.created_at,
    )


def policy_public(organisation: Organisation) -> PolicyPublic:
    return PolicyPublic(
        min_length=organisation.min_length,
        password_history=organisation.password_history,
        mfa=organisation.mfa,
        lock_threshold=organisation.lock_threshold,
        lock_minutes=[int(m) for m in organisation.lock_minutes.split(",")],
        permanent_after=organisation.permanent_after,
        phishing_resistant_admins=organisation.phishing_resistant_admins,
        passwordless=organisation.passwordless,
        session_idle_minutes=organisation.session_idle_minutes,
    )
