"""Previews of one-time links: what an invitation or reset link is for, before it is used.

The holder of a link sees whose account it opens, and the rules their new password must meet, so
the page that asks for the password can say so. A preview never uses the link (it works as
before, once, until it expires) and is an event naming the link and the fields shown, never the
secret. An unknown, used or expired link gets the same refusal as using it would.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.identity import links, onetime
from services.identity.accounts import LinkRefused
from services.identity.authority import Authority
from services.identity.domain import MfaRequirement, OrganisationKind, UserStatus
from services.identity.store import OneTimeLink, Organisation, UserAccount
from services.identity.views import actor_of
from shared.event_types.identity import LINK_VIEWED
from shared.events.contracts.identity import LinkViewed
from shared.moments import as_utc

INVITATION_FIELDS = sorted(
    [
        "email",
        "display_name",
        "organisation_name",
        "organisation_kind",
        "invited_by_name",
        "expires_at",
        "policy",
    ]
)
RESET_FIELDS = ["email", "policy"]
# Whose account a link of each purpose may open.
HOLDERS = {"invitation": UserStatus.invited, "password_reset": UserStatus.active}


@dataclass(frozen=True)
class InvitationShown:
    email: str
    display_name: str
    organisation_name: str
    organisation_kind: OrganisationKind
    invited_by_name: str | None
    expires_at: datetime
    min_length: int
    mfa: MfaRequirement


@dataclass(frozen=True)
class ResetShown:
    email: str
    min_length: int


async def _usable(
    session: AsyncSession, secret: str, purpose: str
) -> tuple[OneTimeLink, UserAccount, Organisation]:
    """The link, its user and organisation, if the link would work now; else LinkRefused."""
    link = (
        await session.scalars(
            select(OneTimeLink).where(col(OneTimeLink.digest) == onetime.digest(secret))
        )
    ).first()
    if (
        link is None
        or link.purpose != purpose
        or link.used_at is not None
        or as_utc(link.expires_at) <= datetime.now(UTC)
    ):
        raise LinkRefused
    user = await session.get(UserAccount, link.user_id)
    if user is None or user.status is not HOLDERS[purpose]:
        raise LinkRefused
    organisation = await session.get(Organisation, user.organisation_id)
    if organisation is None:
        raise LinkRefused
    return link, user, organisation


def _viewed(
    session: AsyncSession,
    authority: Authority,
    link: OneTimeLink,
    user: UserAccount,
    fields: list[str],
) -> None:
    authority.outbox.add(
        session,
        type=LINK_VIEWED,
        tenant=str(user.organisation_id),
        actor=actor_of(user),
        subject=str(user.id),
        data=LinkViewed(link_id=link.id, user_id=user.id, purpose=link.purpose, fields=fields),
    )


async def inspect_invitation(
    *, session: AsyncSession, authority: Authority, secret: str
) -> InvitationShown:
    async with session.begin():
        link, user, organisation = await _usable(session, secret, "invitation")
        shown = InvitationShown(
            email=user.email,
            display_name=user.display_name,
            organisation_name=organisation.name,
            organisation_kind=OrganisationKind(organisation.kind),
            invited_by_name=invited_by.name or None
            if (invited_by := await links.inviter(session, user.invited_by))
            else None,
            expires_at=as_utc(link.expires_at),
            min_length=organisation.min_length,
            mfa=MfaRequirement(organisation.mfa),
        )
        _viewed(session, authority, link, user, INVITATION_FIELDS)
    return shown


async def inspect_reset(*, session: AsyncSession, authority: Authority, secret: str) -> ResetShown:
    async with session.begin():
        link, user, organisation = await _usable(session, secret, "password_reset")
        shown = ResetShown(email=user.email, min_length=organisation.min_length)
        _viewed(session, authority, link, user, RESET_FIELDS)
    return shown
