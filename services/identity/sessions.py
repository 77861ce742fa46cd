"""Sessions: short-lived access tokens, rotating refresh tokens with reuse detection, revocation.

A session ends at its absolute lifetime or once it has gone unused longer than its organisation's
idle timeout: the refresh token presented was issued at the session's last refresh (or its
sign-in), so its age is how long the session went unused, to an access token's lifetime.

A refresh token is used once: presenting a used one again means it was copied, so the whole
session ends (ASVS 7.2.4 / OAuth 2.0 Security BCP 4.14). Every revocation is an event that the
other services apply before the session's access tokens expire (shared/revocation.py).
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.identity import onetime, store
from services.identity.authority import Authority
from services.identity.caller import own_account, user_uuid
from services.identity.domain import OrganisationStatus, UserStatus, device_digest, went_idle
from services.identity.store import LoginSession, Organisation, RefreshToken, UserAccount
from services.identity.views import actor_of
from shared.auth import Principal
from shared.event_types.identity import (
    LOGIN_SUCCEEDED,
    SESSION_LISTED,
    SESSION_REVOKED,
    SESSION_UPDATED,
)
from shared.events import Actor
from shared.events.contracts.identity import (
    LoginSucceeded,
    SessionRefreshed,
    SessionRevoked,
    SessionsListed,
)
from shared.moments import as_utc
from shared.request import client_address, client_agent

Admitted = tuple[str, frozenset[str]]
"""What a login's admission read: the organisation's kind and the account's device digests."""


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: uuid.UUID
    methods: tuple[str, ...]


class RefreshRefused(Exception):
    """Unknown, used, expired or revoked: the caller must log in again."""


def _now() -> datetime:
    return datetime.now(UTC)


def access_token(
    authority: Authority, user: UserAccount, login: LoginSession, *, kind: str | None = None
) -> str:
    return authority.signer.issue(
        user_id=str(user.id),
        organisation_id=str(user.organisation_id),
        roles=[user.role],
        session_id=str(login.id),
        ttl=authority.access_ttl,
        methods=login.methods.split(","),
        organisation_kind=kind,
        name=user.display_name or None,
    )


async def organisation_kind(
    session: AsyncSession, authority: Authority, organisation_id: uuid.UUID
) -> str | None:
    """The organisation's kind for the ``org_kind`` claim (read once per process: it never
    changes), so every service knows an operator's token without asking identity."""
    kind = authority.organisation_kinds.get(organisation_id)
    if kind is None:
        kind = await session.scalar(
            select(col(Organisation.kind)).where(col(Organisation.id) == organisation_id)
        )
        if kind is not None:
            authority.organisation_kinds[organisation_id] = kind
    return kind


def _refresh_token(login: LoginSession, now: datetime) -> tuple[str, RefreshToken]:
    """A new refresh token of the session: the secret handed out, and the row that keeps only
    its digest."""
    secret = onetime.new_secret()
    return secret, RefreshToken(digest=onetime.digest(secret), session_id=login.id, issued_at=now)


def _refresh(session: AsyncSession, login: LoginSession, now: datetime) -> str:
    secret, token = _refresh_token(login, now)
    session.add(token)
    return secret


def _tokens(
    authority: Authority,
    user: UserAccount,
    login: LoginSession,
    *,
    kind: str | None,
    refresh_token: str,
    methods: tuple[str, ...],
) -> Tokens:
    """What the client is handed for the session: a new access token and the refresh token."""
    return Tokens(
        access_token=access_token(authority, user, login, kind=kind),
        refresh_token=refresh_token,
        expires_in=int(authority.access_ttl.total_seconds()),
        session_id=login.id,
        methods=methods,
    )


def _login_session(
    user: UserAccount, methods: list[str], now: datetime, *, hours: int
) -> LoginSession:
    """A new session of the user, signed in with ``methods``, ending after ``hours``."""
    return LoginSession(
        user_id=user.id,
        organisation_id=user.organisation_id,
        methods=",".join(methods),
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )


def _device_news(device: str, unkeyed: str, known: frozenset[str]) -> tuple[str | None, bool]:
    """What a sign-in from ``device`` says about it among the account's ``known`` devices: the
    digest to re-key, for a device remembered before the digest was keyed (``unkeyed``,
    recognised once); and whether the device is new (the account's first one is no news)."""
    rekeyed = unkeyed if unkeyed in known and device not in known else None
    new_device = device not in known and rekeyed is None and bool(known)
    return rekeyed, new_device


async def start_session(
    *,
    session: AsyncSession,
    authority: Authority,
    user: UserAccount,
    methods: list[str],
    admitted: Admitted | None = None,
) -> Tokens:
    """Open a session for a fully authenticated user, in the caller's session: all its writes
    (failures cleared, device, session, refresh token, event) in one statement on PostgreSQL.
    ``admitted``: what the login's admission read already (the organisation's kind, the
    account's devices), so that no read comes before the writes."""
    now = _now()
    if admitted is None:
        kind = await organisation_kind(session, authority, user.organisation_id)  # once per org
        known = None
    else:
        kind, known = admitted
    agent, address = client_agent.get(), client_address.get()
    device = authority.device_key(user_id=str(user.id), agent=agent, address=address)
    # Devices remembered before the digest was keyed are recognised once, and re-keyed.
    unkeyed = device_digest(user_id=str(user.id), agent=agent, address=address)
    if known is None:
        known = await store.known_devices(session=session, user_id=user.id)
    login = _login_session(user, methods, now, hours=authority.settings.session_hours)
    secret, refresh = _refresh_token(login, now)
    rekeyed, new_device = _device_news(device, unkeyed, known)
    envelope = authority.outbox.event(
        type=LOGIN_SUCCEEDED,
        tenant=str(user.organisation_id),
        actor=actor_of(user),
        subject=str(user.id),
        data=LoginSucceeded(
            user_id=user.id, session_id=login.id, methods=methods, new_device=new_device
        ),
    )
    await store.record_sign_in(
        session=session,
        user=user,
        device=device,
        rekeyed=rekeyed,
        now=now,
        login=login,
        refresh=refresh,
        event=authority.outbox.staged(session, envelope),
    )
    return _tokens(authority, user, login, kind=kind, refresh_token=secret, methods=tuple(methods))


async def refresh(
    *, sessions: async_sessionmaker[AsyncSession], authority: Authority, presented: str
) -> Tokens:
    """New tokens for the session of the refresh token ``presented``, which is used up; refused
    (RefreshRefused) when the session may not go on, and ended where the refusal says so."""
    now = _now()
    async with sessions() as session, session.begin():
        token, login, user, first_use = await _use_refresh_token(
            session, onetime.digest(presented), now
        )
        refused = await _refusal(
            session, authority, token=token, login=login, user=user, first_use=first_use, now=now
        )
        if refused is None:
            kind = await organisation_kind(session, authority, user.organisation_id)
            new_refresh = _refresh(session, login, now)
            authority.outbox.add(
                session,
                type=SESSION_UPDATED,
                tenant=str(user.organisation_id),
                actor=actor_of(user),
                subject=str(login.id),
                data=SessionRefreshed(user_id=user.id, session_id=login.id),
            )
            return _tokens(
                authority,
                user,
                login,
                kind=kind,
                refresh_token=new_refresh,
                methods=tuple(login.methods.split(",")),
            )
    raise RefreshRefused(refused)


async def _use_refresh_token(
    session: AsyncSession, digest: str, now: datetime
) -> tuple[RefreshToken, LoginSession, UserAccount, bool]:
    """Mark the refresh token used, and read it with its session and user; the flag says
    whether this was its first use. Unknown, or its session or user gone: RefreshRefused."""
    result = await session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.digest) == digest, col(RefreshToken.used_at).is_(None))
        .values(used_at=now)
    )
    assert isinstance(result, CursorResult)
    token = await session.get(RefreshToken, digest)
    if token is None:
        raise RefreshRefused("unknown refresh token")
    login = await session.get(LoginSession, token.session_id)
    user = await session.get(UserAccount, login.user_id) if login else None
    if login is None or user is None:
        raise RefreshRefused("session gone")
    return token, login, user, result.rowcount == 1


async def _refusal(
    session: AsyncSession,
    authority: Authority,
    *,
    token: RefreshToken,
    login: LoginSession,
    user: UserAccount,
    first_use: bool,
    now: datetime,
) -> str | None:
    """Why the session may not go on, or None when it may. A reused refresh token (it was
    copied) and an idle session end the session here."""
    if not first_use:
        await _end_session(session, authority, user, login, reason="refresh_token_reused")
        return "refresh token reused"
    if login.revoked_at is not None or as_utc(login.expires_at) <= now:
        return "session ended"
    if user.status is not UserStatus.active:
        return "user not active"
    organisation = await session.get(Organisation, user.organisation_id)
    if organisation is None or organisation.status is not OrganisationStatus.active:
        return "organisation disabled"
    if went_idle(
        last_active=as_utc(token.issued_at),
        now=now,
        idle_minutes=organisation.session_idle_minutes,
    ):
        await _end_session(session, authority, user, login, reason="idle")
        return "session idle"
    return None


async def _end_session(
    session: AsyncSession,
    authority: Authority,
    user: UserAccount,
    login: LoginSession,
    *,
    reason: str,
) -> None:
    """End this one session of the user, by identity itself, for ``reason``."""
    await end_sessions(
        session=session,
        authority=authority,
        user=user,
        reason=reason,
        actor=authority.system,
        only_session=login.id,
    )


async def end_sessions(
    *,
    session: AsyncSession,
    authority: Authority,
    user: UserAccount,
    reason: str,
    actor: Actor,
    except_session: uuid.UUID | None = None,
    only_session: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """Revoke sessions in the caller's transaction and announce it."""
    ended = await store.revoke_sessions(
        session=session,
        user_id=user.id,
        reason=reason,
        now=_now(),
        except_session=except_session,
        only_session=only_session,
    )
    if ended:
        authority.outbox.add(
            session,
            type=SESSION_REVOKED,
            tenant=str(user.organisation_id),
            actor=actor,
            subject=str(user.id),
            data=SessionRevoked(user_id=user.id, session_ids=ended, reason=reason),
        )
        # Identity itself refuses them at once; the event tells every other service.
        authority.revocations.revoke_sessions([str(i) for i in ended])
    return ended


async def live_sessions(
    *, session: AsyncSession, authority: Authority, user: UserAccount
) -> list[LoginSession]:
    """A user's own live sessions (ASVS 7.5.2), newest first; the read is an event."""
    now = _now()
    found = [
        login
        for login in (
            await session.scalars(
                select(LoginSession)
                .where(
                    col(LoginSession.user_id) == user.id,
                    col(LoginSession.revoked_at).is_(None),
                )
                .order_by(col(LoginSession.created_at).desc())
            )
        ).all()
        if as_utc(login.expires_at) > now
    ]
    authority.outbox.add(
        session,
        type=SESSION_LISTED,
        tenant=str(user.organisation_id),
        actor=actor_of(user),
        subject=str(user.id),
        data=SessionsListed(user_id=user.id, session_ids=[login.id for login in found]),
    )
    return found


async def log_out(*, session: AsyncSession, authority: Authority, principal: Principal) -> None:
    """End the caller's own session (every service refuses its tokens from then on)."""
    async with session.begin():
        user = await own_account(session, principal)
        await end_sessions(
            session=session,
            authority=authority,
            user=user,
            reason="logout",
            actor=principal.actor,
            only_session=user_uuid(principal.session_id),
        )


async def own_sessions(
    *, session: AsyncSession, authority: Authority, principal: Principal
) -> list[LoginSession]:
    """The caller's live sessions (their devices), the read audited."""
    async with session.begin():
        user = await own_account(session, principal)
        return await live_sessions(session=session, authority=authority, user=user)


async def end_own_session(
    *, session: AsyncSession, authority: Authority, principal: Principal, session_id: uuid.UUID
) -> bool:
    """End one of the caller's sessions (a lost device); False when it is not theirs or ended."""
    async with session.begin():
        user = await own_account(session, principal)
        ended = await end_sessions(
            session=session,
            authority=authority,
            user=user,
            reason="logout",
            actor=principal.actor,
            only_session=session_id,
        )
    return bool(ended)
