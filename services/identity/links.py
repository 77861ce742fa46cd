"""One-time links (invitations, password resets, e-mail changes) that no event or log line
ever carries.

Identity records the link with no secret. Its event carries only the link id. The notifier, to
deliver it, fetches the link over an authenticated internal request (``/internal/links/{id}``):
only then is the secret minted, its digest stored and the URL returned, once per fetch; a new
fetch (a retried delivery) replaces the secret, the earlier URL stops working, and the answer says
so (``replaces_earlier``) for the mail to tell its reader. The secret exists in that response and
in the e-mail, nowhere else. Using a link needs the secret; it works once, before it expires.

A link the operator's command printed (:func:`hand_over`) has one holder already: no fetch mints
it again (issue 18.1: the notifier's mail voided the printed link a fraction of a second later).
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.identity import onetime
from services.identity.authority import Authority
from services.identity.domain import UserStatus
from services.identity.store import EmailChange, OneTimeLink, Organisation, UserAccount
from shared.event_types.identity import LINK_ISSUED
from shared.events import Actor, ActorType
from shared.events.contracts.identity import LinkIssued
from shared.moments import as_utc

PATHS = {"invitation": "invitation", "password_reset": "reset", "email_change": "email"}


class LinkUnavailable(LookupError):
    pass


@dataclass(frozen=True)
class Delivery:
    link_id: uuid.UUID
    purpose: str
    url: str
    user_id: uuid.UUID
    organisation_id: uuid.UUID
    email: str
    expires_at: datetime
    replaces_earlier: bool = False
    # An invitation's mail says who invited whom to which organisation, with which role.
    display_name: str | None = None
    role: str | None = None
    organisation_name: str | None = None
    invited_by: str | None = None
    invited_by_organisation: str | None = None


@dataclass(frozen=True)
class Inviter:
    name: str  # may be empty: not every account has a name
    email: str
    organisation: str


def _now() -> datetime:
    return datetime.now(UTC)


async def create_link(
    *,
    session: AsyncSession,
    user: UserAccount,
    purpose: str,
    valid_for: timedelta,
    replace: bool = True,
) -> OneTimeLink:
    """A new link for ``user``; with ``replace``, earlier unused links of the same purpose stop
    working. A reset request does not replace: whoever asks for one on someone else's behalf
    must not void the link the owner is about to use (the first link used voids the rest)."""
    now = _now()
    if replace:
        await void_links(session=session, user_id=user.id, purpose=purpose)
    link = OneTimeLink(
        user_id=user.id,
        organisation_id=user.organisation_id,
        purpose=purpose,
        created_at=now,
        expires_at=now + valid_for,
    )
    session.add(link)
    await session.flush()
    return link


async def void_links(*, session: AsyncSession, user_id: uuid.UUID, purpose: str) -> None:
    """Every unused link of ``purpose`` the user holds stops working."""
    await session.execute(
        update(OneTimeLink)
        .where(
            col(OneTimeLink.user_id) == user_id,
            col(OneTimeLink.purpose) == purpose,
            col(OneTimeLink.used_at).is_(None),
        )
        .values(used_at=_now())
    )


async def mint(*, session: AsyncSession, authority: Authority, link: OneTimeLink) -> str:
    """Give ``link`` a fresh secret and return its URL (used by the notifier and the CLI)."""
    secret = onetime.new_secret()
    await session.execute(
        update(OneTimeLink)
        .where(col(OneTimeLink.id) == link.id)
        .values(digest=onetime.digest(secret), fetches=OneTimeLink.fetches + 1)
    )
    return f"{authority.settings.link_base_url}/{PATHS[link.purpose]}#token={secret}"


async def hand_over(*, session: AsyncSession, authority: Authority, link: OneTimeLink) -> str:
    """Mint ``link`` for a person outside the mail (the operator's command) and keep any delivery
    from minting it again."""
    url = await mint(session=session, authority=authority, link=link)
    await session.execute(
        update(OneTimeLink).where(col(OneTimeLink.id) == link.id).values(handed_over=True)
    )
    return url


async def inviter(session: AsyncSession, inviter_id: uuid.UUID | None) -> Inviter | None:
    """Who invited a user, and from which organisation; None if unknown or removed."""
    if inviter_id is None:
        return None
    user = await session.get(UserAccount, inviter_id)
    if user is None or user.status is UserStatus.removed:
        return None
    organisation = await session.get(Organisation, user.organisation_id)
    return Inviter(user.display_name, user.email, organisation.name if organisation else "")


async def _invitation_facts(session: AsyncSession, user: UserAccount) -> dict[str, str | None]:
    organisation = await session.get(Organisation, user.organisation_id)
    invited_by = await inviter(session, user.invited_by)
    return {
        "display_name": user.display_name or None,
        "role": user.role,
        "organisation_name": organisation.name if organisation else None,
        "invited_by": (invited_by.name or invited_by.email) if invited_by else None,
        "invited_by_organisation": invited_by.organisation if invited_by else None,
    }


async def fetch_for_delivery(
    *, session: AsyncSession, authority: Authority, link_id: uuid.UUID
) -> Delivery:
    link = await session.get(OneTimeLink, link_id)
    if (
        link is None
        or link.used_at is not None
        or link.handed_over
        or as_utc(link.expires_at) <= _now()
        or link.fetches >= authority.settings.link_fetches
    ):
        raise LinkUnavailable(link_id)
    user = await session.get(UserAccount, link.user_id)
    assert user is not None
    email = user.email
    if link.purpose == "email_change":  # the link proves the new address: it goes there alone
        pending = await session.scalar(
            select(col(EmailChange.new_email)).where(col(EmailChange.link_id) == link.id)
        )
        if pending is None:
            raise LinkUnavailable(link_id)
        email = pending
    replaces_earlier = link.fetches > 0
    url = await mint(session=session, authority=authority, link=link)
    authority.outbox.add(
        session,
        type=LINK_ISSUED,
        tenant=str(link.organisation_id),
        actor=Actor(id="system:notifier", type=ActorType.system),
        subject=str(user.id),
        data=LinkIssued(link_id=link.id, user_id=user.id, purpose=link.purpose),
    )
    return Delivery(
        link_id=link.id,
        purpose=link.purpose,
        url=url,
        user_id=user.id,
        organisation_id=user.organisation_id,
        email=email,
        expires_at=as_utc(link.expires_at),
        replaces_earlier=replaces_earlier,
        **(await _invitation_facts(session, user) if link.purpose == "invitation" else {}),
    )


async def redeem(
    *, session: AsyncSession, secret: str, purpose: str
) -> tuple[OneTimeLink, UserAccount] | None:
    """Use a link once: None if unknown, used, expired or of another purpose.

    One conditional statement whatever the link, so the answer's timing does not tell a spent or
    expired link from one that never existed (issue 18.2)."""
    now = _now()
    found = (
        await session.execute(
            update(OneTimeLink)
            .where(
                col(OneTimeLink.digest) == onetime.digest(secret),
                col(OneTimeLink.purpose) == purpose,
                col(OneTimeLink.used_at).is_(None),
                col(OneTimeLink.expires_at) > now,
            )
            .values(used_at=now)
            .returning(OneTimeLink)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if found is None:
        return None
    link: OneTimeLink = found[0]
    user = await session.get(UserAccount, link.user_id)
    return (link, user) if user is not None else None
