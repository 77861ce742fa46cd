"""Login: password first, then the second factor when the user has one (or must enrol one).

Every attempt costs one argon2 verification, whether the account exists, is locked or disabled,
so the answer and its timing say nothing (ASVS 6.3.8). Each attempt is counted *before* it is
evaluated (``store.admit_login``), so parallel attempts cannot exceed the lock threshold
(TOM-T5). Per-address throttling slows credential stuffing across accounts.

The flow is a chain of steps on a challenge: ``password`` proves ``pwd``; a ``second_factor``
step proves ``otp`` (TOTP), ``rec`` (recovery code) or ``hwk`` (a passkey, passkeys.py), among
the factors the organisation's policy accepts from this user (``Pending.factors``). A passkey
may also sign in alone (``hwk``, ``mfa``) where the organisation allows it. The organisation's
own OpenID Connect provider replaces the password step (federation.py, ``fed``; docs/federation.md).
"""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NoReturn

from opentelemetry.metrics import Counter, Meter
from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.identity import onetime, store
from services.identity.authority import Authority
from services.identity.domain import (
    OrganisationStatus,
    SecondFactorPolicy,
    UserStatus,
    next_lock,
)
from services.identity.sessions import Tokens, start_session
from services.identity.store import Challenge, Organisation, Passkey, UserAccount
from shared.event_types.identity import ACCOUNT_LOCKED, LOGIN_FAILED
from shared.events import Actor, Outcome
from shared.events.contracts.identity import AccountLocked, LoginFailed
from shared.events.subjects import PLATFORM_TENANT
from shared.moments import as_utc


def lockout_counter(meter: Meter) -> Counter:
    """Accounts locked after repeated failed logins, temporary or permanent (no organisation)."""
    return meter.create_counter(
        "pactum.identity.account_lockouts",
        unit="{lockout}",
        description="Accounts locked after repeated failed logins (TOM-T5), by permanence.",
    )


class LoginRefused(Exception):
    """Generic: wrong, unknown, locked or disabled all look the same to the caller."""


class Throttled(Exception):
    """Too many failures from this client address (credential stuffing)."""


@dataclass(frozen=True)
class Pending:
    """A login that needs another step: ``next`` is second_factor or enrol_second_factor;
    ``factors`` the second factors this user may use (or set up) for it."""

    challenge: str
    next: str
    methods: tuple[str, ...]
    factors: tuple[str, ...] = ()


def _now() -> datetime:
    return datetime.now(UTC)


def _window(authority: Authority, now: datetime) -> int:
    return int(now.timestamp() // (authority.settings.client_window_minutes * 60))


async def password_login(
    *,
    sessions: async_sessionmaker[AsyncSession],
    authority: Authority,
    email: str,
    password: str,
    address: str | None,
) -> Tokens | Pending:
    """Two short transactions around the hash: the admission (one statement), then either the
    session or the failure record. Nothing is held open while the hash runs."""
    now = _now()
    async with store.single_statement(sessions) as session:
        admitted = await store.admit_login(
            session=session,
            email=email,
            now=now,
            client=authority.client_key(address),
            window=_window(authority, now),
            client_limit=authority.settings.client_failure_limit,
        )
    stored = admitted.user.password_hash if admitted is not None else None
    correct = await asyncio.to_thread(authority.passwords.verify, stored, password)
    if admitted is None or not correct:
        await _refuse(sessions, authority, email, admitted, address)
    assert admitted is not None
    return await _password_proven(sessions, authority, admitted, password)


async def _refuse(
    sessions: async_sessionmaker[AsyncSession],
    authority: Authority,
    email: str,
    admitted: store.Admission | None,
    address: str | None,
) -> NoReturn:
    """Record a refused password login and raise the generic answer. Why it was refused is found
    out here, after the hash, so that every refusal costs the same before it."""
    now = _now()
    async with sessions() as session, session.begin():
        throttled = (
            admitted is None
            and address is not None
            and await store.client_failures(
                session=session,
                client=authority.client_key(address),
                window=_window(authority, now),
            )
            >= authority.settings.client_failure_limit
        )
        if throttled:
            await _failure(session, authority, None, None, "throttled", 0, address)
        else:
            user, organisation = await store.user_with_organisation(session=session, email=email)
            reason = (
                "unknown"
                if user is None
                else "disabled"
                if user.status is not UserStatus.active
                or (organisation is not None and organisation.status != OrganisationStatus.active)
                else "locked"
                if admitted is None
                else "credentials"
            )
            attempt = admitted.attempt if admitted is not None else None
            await _failure(session, authority, user, organisation, reason, attempt, address)
    raise Throttled if throttled else LoginRefused


async def _password_proven(
    sessions: async_sessionmaker[AsyncSession],
    authority: Authority,
    admitted: store.Admission,
    password: str,
) -> Tokens | Pending:
    user = admitted.user
    policy = SecondFactorPolicy(
        mfa=admitted.mfa, phishing_resistant_admins=admitted.phishing_resistant_admins
    )
    second_step = user.mfa_enrolled_at is not None or policy.requires_mfa(user.role)
    seen = (admitted.kind, admitted.known_devices)
    rehashed = None
    if authority.passwords.needs_rehash(user.password_hash or ""):  # before the transaction
        rehashed = await asyncio.to_thread(authority.passwords.hash, password)
    elif not second_step:  # the usual sign-in: its record is one round trip
        async with store.one_round_trip(sessions) as session:
            return await start_session(
                session=session, authority=authority, user=user, methods=["pwd"], admitted=seen
            )
    async with sessions() as session, session.begin():
        if rehashed is not None:
            await session.execute(
                update(UserAccount)
                .where(col(UserAccount.id) == user.id)
                .values(password_hash=rehashed)
            )
        if second_step:
            await store.release_attempt(session=session, user_id=user.id)
            factors = await usable_factors(session, policy, user)
            if factors:
                return new_challenge(session, authority, user, "second_factor", ["pwd"], factors)
            setup = ("passkey",) if policy.requires_passkey(user.role) else ("passkey", "otp")
            return new_challenge(session, authority, user, "enrol_second_factor", ["pwd"], setup)
        return await start_session(
            session=session, authority=authority, user=user, methods=["pwd"], admitted=seen
        )


async def usable_factors(
    session: AsyncSession, policy: SecondFactorPolicy, user: UserAccount
) -> tuple[str, ...]:
    """The second factors ``user`` has set up and ``policy`` accepts from them."""
    passkey = await session.scalar(
        select(col(Passkey.id)).where(col(Passkey.user_id) == user.id).limit(1)
    )
    return policy.accepted(
        user.role, has_totp=user.totp_sealed is not None, has_passkey=passkey is not None
    )


def new_challenge(
    session: AsyncSession,
    authority: Authority,
    user: UserAccount,
    purpose: str,
    methods: list[str],
    factors: tuple[str, ...] = (),
) -> Pending:
    secret = onetime.new_secret()
    session.add(
        Challenge(
            digest=onetime.digest(secret),
            user_id=user.id,
            purpose=purpose,
            methods=",".join(methods),
            expires_at=_now() + timedelta(minutes=authority.settings.challenge_minutes),
        )
    )
    return Pending(challenge=secret, next=purpose, methods=tuple(methods), factors=factors)


async def open_challenge(
    *, session: AsyncSession, secret: str, purpose: str
) -> tuple[Challenge, UserAccount] | None:
    """The live challenge for ``secret``, without using it up."""
    challenge = await session.get(Challenge, onetime.digest(secret))
    if challenge is None or challenge.purpose != purpose or challenge.used_at is not None:
        return None
    expires = challenge.expires_at
    if as_utc(expires) <= _now():
        return None
    user = await session.get(UserAccount, challenge.user_id)
    if user is None or user.status is not UserStatus.active:
        return None
    return challenge, user


async def use_challenge(*, session: AsyncSession, challenge: Challenge) -> bool:
    """Mark a challenge used; False if a parallel request used it first."""
    result = await session.execute(
        update(Challenge)
        .where(col(Challenge.digest) == challenge.digest, col(Challenge.used_at).is_(None))
        .values(used_at=_now())
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


async def _record_failure(
    sessions: async_sessionmaker[AsyncSession],
    authority: Authority,
    user: UserAccount | None,
    organisation: Organisation | None,
    reason: str,
    attempt: int | None,
    address: str | None,
) -> None:
    async with sessions() as session, session.begin():
        await _failure(session, authority, user, organisation, reason, attempt, address)


async def _failure(
    session: AsyncSession,
    authority: Authority,
    user: UserAccount | None,
    organisation: Organisation | None,
    reason: str,
    attempt: int | None,
    address: str | None,
) -> None:
    """A failed login in the caller's transaction: the address's count, the lock if this attempt
    reached the threshold, and the ``login.failed`` event."""
    if address is not None:
        await store.count_client_failure(
            session=session,
            client=authority.client_key(address),
            window=_window(authority, _now()),
            dialect=session.get_bind().dialect.name,
        )
    if user is not None and organisation is not None and attempt is not None:
        await lock_if_due(
            session=session,
            authority=authority,
            user=user,
            organisation=organisation,
            attempt=attempt,
        )
    authority.outbox.add(
        session,
        type=LOGIN_FAILED,
        tenant=str(user.organisation_id) if user is not None else PLATFORM_TENANT,
        actor=Actor(id=str(user.id), organisation_id=str(user.organisation_id))
        if user is not None
        else Actor(id="anonymous"),
        subject=str(user.id) if user is not None else None,
        outcome=Outcome.failed,
        data=LoginFailed(
            user_id=user.id if user is not None else None,
            reason=reason,
            failures=attempt or 0,
        ),
    )


async def lock_if_due(
    *,
    session: AsyncSession,
    authority: Authority,
    user: UserAccount,
    organisation: Organisation,
    attempt: int,
) -> bool:
    """The attempt that reached the threshold locks the account, in the caller's transaction."""
    policy = store.lockout_policy(organisation)
    if attempt < policy.threshold:
        return False
    fresh = await session.get(UserAccount, user.id, populate_existing=True)
    assert fresh is not None
    lock = next_lock(policy, previous_locks=fresh.locks, now=_now())
    await session.execute(
        update(UserAccount)
        .where(col(UserAccount.id) == user.id)
        .values(
            failures=0,
            locks=lock.number,
            locked_until=lock.until,
            locked_permanently=lock.permanent,
        )
    )
    authority.outbox.add(
        session,
        type=ACCOUNT_LOCKED,
        tenant=str(user.organisation_id),
        actor=authority.system,
        subject=str(user.id),
        data=AccountLocked(
            user_id=user.id,
            until=lock.until.isoformat() if lock.until else None,
            lock_number=lock.number,
            permanent=lock.permanent,
        ),
    )
    authority.lockouts.add(1, {"permanent": "true" if lock.permanent else "false"})
    return True
