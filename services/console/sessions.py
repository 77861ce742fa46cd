"""Console sessions: the use cases that open, follow, refresh and end them.

The cookie names a row here; the row holds identity's refresh token, sealed. Access tokens live
five minutes: a request that finds its token about to expire refreshes it, under a short lease
so that two pages loading at once never present the same refresh token twice (identity would
take that for theft and end the session).
"""

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.console.apis import Apis, NotSignedIn
from services.console.domain import (
    PENDING_LIFETIME,
    REFRESH_LEASE,
    Lifetimes,
    Role,
    Stage,
    needs_refresh,
    new_cookie_value,
    session_key,
)
from services.console.keys import ConsoleKey
from services.console.store import ConsoleSession
from shared.moments import as_utc

log = structlog.get_logger("pactum.console")

SEEN_GRANULARITY = timedelta(minutes=1)  # how often a session's last-seen time is written


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Person:
    """The signed-in person as a page sees them, with a fresh access token."""

    key: str
    user_id: str
    email: str
    display_name: str
    organisation_id: str
    organisation_name: str
    organisation_kind: str
    roles: frozenset[str]
    language: str
    identity_session_id: str
    access_token: str = field(repr=False)

    @property
    def is_admin(self) -> bool:
        return Role.admin in self.roles

    @property
    def is_auditor(self) -> bool:
        return Role.auditor in self.roles

    @property
    def is_operator(self) -> bool:
        return self.organisation_kind == "operator"

    @property
    def is_processor(self) -> bool:
        return self.organisation_kind == "processor"

    @property
    def is_controller(self) -> bool:
        return self.organisation_kind == "controller"

    @property
    def name(self) -> str:
        return self.display_name or self.email


@dataclass(frozen=True)
class Pending:
    """A sign-in between its password and its second factor."""

    key: str
    stage: Stage
    email: str
    challenge: str = field(repr=False)


class SessionBook:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        key: ConsoleKey,
        apis: Apis,
        lifetimes: Lifetimes,
    ) -> None:
        self.sessions = sessions
        self.key = key
        self.apis = apis
        self.lifetimes = lifetimes

    # -- signing in ---------------------------------------------------------------------------

    async def begin_pending(self, *, stage: Stage, email: str, challenge: str) -> str:
        """Hold identity's challenge for the second step; answers the new cookie value."""
        cookie = new_cookie_value()
        moment = now()
        async with self.sessions() as session, session.begin():
            session.add(
                ConsoleSession(
                    id=session_key(cookie),
                    stage=stage,
                    email=email,
                    sealed_challenge=self.key.seal(challenge, context=f"challenge|{email}"),
                    created_at=moment,
                    last_seen_at=moment,
                    expires_at=moment + PENDING_LIFETIME,
                )
            )
        return cookie

    async def pending(self, cookie: str | None) -> Pending | None:
        if not cookie:
            return None
        async with self.sessions() as session:
            row = await session.get(ConsoleSession, session_key(cookie))
        if row is None or row.stage == Stage.active or row.sealed_challenge is None:
            return None
        if now() >= as_utc(row.expires_at):
            await self.end(cookie)
            return None
        challenge = self.key.open(row.sealed_challenge, context=f"challenge|{row.email}")
        return Pending(key=row.id, stage=Stage(row.stage), email=row.email, challenge=challenge)

    async def open(self, tokens: dict[str, Any], *, language: str, replacing: str | None) -> str:
        """A signed-in session from identity's tokens, replacing any earlier row (no fixation)."""
        access = tokens["access_token"]
        me, organisation = await asyncio.gather(
            self.apis.json("identity", "GET", "/me", token=access),
            self._organisation(access),
        )
        cookie = new_cookie_value()
        key = session_key(cookie)
        moment = now()
        async with self.sessions() as session, session.begin():
            if replacing:
                await session.execute(
                    delete(ConsoleSession).where(col(ConsoleSession.id) == session_key(replacing))
                )
            session.add(
                ConsoleSession(
                    id=key,
                    stage=Stage.active,
                    language=language,
                    email=me["email"],
                    user_id=str(me["id"]),
                    organisation_id=str(me["organisation_id"]),
                    display_name=me.get("display_name") or "",
                    organisation_name=organisation.get("name", ""),
                    organisation_kind=organisation.get("kind", ""),
                    roles=me["role"],
                    identity_session_id=str(tokens["session_id"]),
                    sealed_refresh=self.key.seal(tokens["refresh_token"], context=f"refresh|{key}"),
                    sealed_access=self.key.seal(access, context=f"access|{key}"),
                    access_expires_at=moment + timedelta(seconds=int(tokens["expires_in"])),
                    created_at=moment,
                    last_seen_at=moment,
                    expires_at=moment + self.lifetimes.session,
                )
            )
        return cookie

    async def _organisation(self, access: str) -> dict[str, Any]:
        found = await self.apis.json("identity", "GET", "/organisation", token=access)
        return found if isinstance(found, dict) else {}

    # -- following a session ------------------------------------------------------------------

    async def person(self, cookie: str | None) -> Person | None:
        """The signed-in person behind ``cookie``, or None (ended, idle too long, never was)."""
        if not cookie:
            return None
        key = session_key(cookie)
        async with self.sessions() as session:
            row = await session.get(ConsoleSession, key)
        if row is None or row.stage != Stage.active:
            return None
        moment = now()
        if self.lifetimes.expired(
            created_at=as_utc(row.created_at), last_seen_at=as_utc(row.last_seen_at), now=moment
        ):
            await self.end(cookie)
            return None
        access = await self._fresh_access(row, moment)
        if access is None:
            return None
        if moment - as_utc(row.last_seen_at) >= SEEN_GRANULARITY:
            # A write per page would cost more than the page itself on SQLite (a commit each);
            # idle time is measured to the minute.
            async with self.sessions() as session, session.begin():
                await session.execute(
                    update(ConsoleSession)
                    .where(col(ConsoleSession.id) == key)
                    .values(last_seen_at=moment)
                )
        return Person(
            key=key,
            user_id=row.user_id,
            email=row.email,
            display_name=row.display_name,
            organisation_id=row.organisation_id,
            organisation_name=row.organisation_name,
            organisation_kind=row.organisation_kind,
            roles=frozenset(filter(None, row.roles.split(","))),
            language=row.language,
            identity_session_id=row.identity_session_id,
            access_token=access,
        )

    async def _fresh_access(self, row: ConsoleSession, moment: datetime) -> str | None:
        expires = as_utc(row.access_expires_at) if row.access_expires_at else None
        if not needs_refresh(expires, moment) and row.sealed_access:
            return self.key.open(row.sealed_access, context=f"access|{row.id}")
        async with self.sessions() as session, session.begin():
            leased = await session.execute(
                update(ConsoleSession)
                .where(
                    col(ConsoleSession.id) == row.id,
                    or_(
                        col(ConsoleSession.refreshing_until).is_(None),
                        col(ConsoleSession.refreshing_until) < moment,
                    ),
                )
                .values(refreshing_until=moment + REFRESH_LEASE)
            )
        if leased.rowcount != 1:  # type: ignore[attr-defined]
            return await self._wait_for_refresh(row.id)
        assert row.sealed_refresh is not None
        refresh = self.key.open(row.sealed_refresh, context=f"refresh|{row.id}")
        try:
            tokens = await self.apis.json(
                "identity", "POST", "/sessions/refresh", json={"refresh_token": refresh}
            )
        except NotSignedIn:
            log.info("console.session_ended_by_identity")
            await self._delete(row.id)
            return None
        except BaseException:
            await self._release(row.id)
            raise
        access = str(tokens["access_token"])
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(ConsoleSession)
                .where(col(ConsoleSession.id) == row.id)
                .values(
                    sealed_refresh=self.key.seal(
                        tokens["refresh_token"], context=f"refresh|{row.id}"
                    ),
                    sealed_access=self.key.seal(access, context=f"access|{row.id}"),
                    access_expires_at=now() + timedelta(seconds=int(tokens["expires_in"])),
                    refreshing_until=None,
                )
            )
        return access

    async def _wait_for_refresh(self, key: str) -> str | None:
        """Another request holds the lease: use the token it gets (or give up with the lease)."""
        deadline = now() + REFRESH_LEASE
        while now() < deadline:
            await asyncio.sleep(0.05)
            async with self.sessions() as session:
                row = await session.get(ConsoleSession, key)
            if row is None:
                return None
            if row.refreshing_until is None and row.sealed_access:
                return self.key.open(row.sealed_access, context=f"access|{key}")
        return None

    async def _release(self, key: str) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(ConsoleSession)
                .where(col(ConsoleSession.id) == key)
                .values(refreshing_until=None)
            )

    # -- changing and ending --------------------------------------------------------------------

    async def set_language(self, cookie: str | None, language: str) -> None:
        if not cookie:
            return
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(ConsoleSession)
                .where(col(ConsoleSession.id) == session_key(cookie))
                .values(language=language)
            )

    async def end(self, cookie: str | None) -> None:
        if cookie:
            await self._delete(session_key(cookie))

    async def _delete(self, key: str) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(delete(ConsoleSession).where(col(ConsoleSession.id) == key))

    async def sweep(self) -> int:
        """Remove sessions past their lifetime (their refresh tokens die in identity anyway)."""
        moment = now()
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                delete(ConsoleSession).where(
                    or_(
                        col(ConsoleSession.expires_at) < moment,
                        col(ConsoleSession.last_seen_at) < moment - self.lifetimes.idle,
                    )
                )
            )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


__all__ = ["Pending", "Person", "SessionBook"]
