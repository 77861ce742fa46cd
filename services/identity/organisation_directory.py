"""Organisations as callers read and run them over the API.

Anyone signed in reads their own organisation (under a supplier grant: the customer's). The
operator's admins list and read every organisation, create one (the same use case and event as
``pactum create-organisation``), and invite an organisation's admin: the invitation is the same
``user.invited`` event as any other, so the notifier mails the link; no answer carries it. Every
read is an event (TOM-T3a); another caller is refused without learning whether an organisation
exists.
"""

import uuid
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.identity import cursors, organisations, users
from services.identity.authority import Authority
from services.identity.domain import (
    NEW_ORGANISATION_MFA,
    IdentityRuleBroken,
    MfaRequirement,
    OrganisationKind,
    OrganisationStatus,
)
from services.identity.store import Organisation, UserAccount
from shared.auth import Principal, Role
from shared.event_types.identity import ORGANISATION_LISTED, ORGANISATION_VIEWED
from shared.events import Actor
from shared.events.contracts.identity import OrganisationsListed, OrganisationViewed

NotTheOperator = organisations.NotTheOperator
OrganisationNotFound = organisations.OrganisationNotFound


@dataclass(frozen=True)
class Page:
    items: list[Organisation]
    next_cursor: str | None


async def _operator(session: AsyncSession, principal: Principal) -> Actor:
    """The caller as the operator: an admin of the operator organisation, not under a grant."""
    if Role.admin not in principal.roles:
        raise NotTheOperator("only the operator's admins run organisations")
    return await organisations.operator_actor(session, principal)


def _viewed(
    session: AsyncSession, authority: Authority, organisation: Organisation, actor: Actor
) -> None:
    authority.outbox.add(
        session,
        type=ORGANISATION_VIEWED,
        tenant=str(organisation.id),
        actor=actor,
        subject=str(organisation.id),
        data=OrganisationViewed(organisation_id=organisation.id),
    )


async def view_own(
    *, session: AsyncSession, authority: Authority, principal: Principal
) -> Organisation:
    """The caller's organisation: ``org`` of the token (under a grant, the customer)."""
    async with session.begin():
        organisation = await session.get(Organisation, uuid.UUID(principal.organisation_id))
        if organisation is None:
            raise OrganisationNotFound(principal.organisation_id)
        _viewed(session, authority, organisation, principal.actor)
    return organisation


async def list_organisations(
    *,
    session: AsyncSession,
    authority: Authority,
    principal: Principal,
    limit: int,
    cursor: str | None,
) -> Page:
    """One page of every organisation, by name, for the operator."""
    after = cursors.decode(cursor, parts=2) if cursor else None
    async with session.begin():
        actor = await _operator(session, principal)
        query = select(Organisation).order_by(col(Organisation.name), col(Organisation.id))
        if after is not None:
            name, last_id = after[0], _uuid(after[1])
            query = query.where(
                or_(
                    col(Organisation.name) > name,
                    and_(col(Organisation.name) == name, col(Organisation.id) > last_id),
                )
            )
        found = list((await session.scalars(query.limit(limit + 1))).all())
        items = found[:limit]
        authority.outbox.add(
            session,
            type=ORGANISATION_LISTED,
            tenant=principal.organisation_id,
            actor=actor,
            data=OrganisationsListed(organisation_ids=[item.id for item in items]),
        )
    more = len(found) > limit
    return Page(
        items=items,
        next_cursor=cursors.encode(items[-1].name, str(items[-1].id)) if more else None,
    )


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise cursors.CursorRefused(
            "cursor: not one this list gave; start again without it"
        ) from None


async def view_organisation(
    *, session: AsyncSession, authority: Authority, principal: Principal, organisation_id: uuid.UUID
) -> Organisation:
    """The operator's admins read any organisation; anyone else only their own (the ``org`` of
    their token, as ``GET /organisation``): another one is not found."""
    async with session.begin():
        if str(organisation_id) == principal.organisation_id:
            actor = principal.actor
        else:
            actor = await _operator(session, principal)
        organisation = await session.get(Organisation, organisation_id)
        if organisation is None:
            raise OrganisationNotFound(organisation_id)
        _viewed(session, authority, organisation, actor)
    return organisation


async def create(
    *,
    session: AsyncSession,
    authority: Authority,
    principal: Principal,
    name: str,
    kind: OrganisationKind,
    mfa: MfaRequirement = NEW_ORGANISATION_MFA,
) -> Organisation:
    """``pactum create-organisation`` over the API: the same use case, the operator as actor."""
    if kind is OrganisationKind.operator:
        raise IdentityRuleBroken("kind: only controller or processor organisations are created")
    async with session.begin():
        actor = await _operator(session, principal)
        return await organisations.create_organisation(
            session=session, authority=authority, name=name, kind=kind, actor=actor, mfa=mfa
        )


async def invite_admin(
    *,
    session: AsyncSession,
    authority: Authority,
    principal: Principal,
    organisation_id: uuid.UUID,
    email: str,
    display_name: str,
) -> UserAccount:
    """Invite an admin of ``organisation_id`` (its first or another); the notifier mails the
    link on the ``user.invited`` event, as for any invitation."""
    try:
        async with session.begin():
            actor = await _operator(session, principal)
            organisation = await session.get(Organisation, organisation_id)
            if organisation is None:
                raise OrganisationNotFound(organisation_id)
            if organisation.status != OrganisationStatus.active:
                raise IdentityRuleBroken("this organisation is disabled; enable it first")
            user, _ = await users.add_invited_user(
                session=session,
                authority=authority,
                organisation_id=organisation.id,
                email=email,
                role="admin",
                display_name=display_name,
                actor=actor,
            )
            return user
    except IntegrityError:
        raise users.EmailTaken(
            "this e-mail address cannot be invited; it may already have an account"
        ) from None
