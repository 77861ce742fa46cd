"""Organisations, their first admins (operator CLI and demo seed) and their security policy."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.identity import links, users
from services.identity.authority import Authority
from services.identity.domain import (
    LockoutPolicy,
    MfaRequirement,
    OrganisationKind,
    PasswordPolicy,
)
from services.identity.tables import Organisation
from shared import demo
from shared.auth import Principal
from shared.events import Actor, ActorType
from shared.events.contracts.identity import OrganisationCreated, PolicyUpdated, PolicyViewed

OPERATOR_CLI = Actor(id="operator-cli", type=ActorType.system)

POLICY_FIELDS = (
    "min_length",
    "password_history",
    "mfa",
    "lock_threshold",
    "lock_minutes",
    "permanent_after",
)


class OrganisationNotFound(LookupError):
    pass


async def create_organisation(
    *,
    session: AsyncSession,
    authority: Authority,
    name: str,
    kind: OrganisationKind,
    organisation_id: uuid.UUID | None = None,
    actor: Actor = OPERATOR_CLI,
) -> Organisation:
    organisation = Organisation(
        id=organisation_id or uuid.uuid4(),
        name=" ".join(name.split()),
        kind=kind,
        created_at=datetime.now(UTC),
    )
    session.add(organisation)
    await session.flush()
    authority.outbox.add(
        session,
        type="dpa.identity.organisation.created.v1",
        tenant=str(organisation.id),
        actor=actor,
        subject=str(organisation.id),
        data=OrganisationCreated(organisation_id=organisation.id, kind=kind),
    )
    return organisation


async def create_first_admin(
    *,
    session: AsyncSession,
    authority: Authority,
    organisation_id: uuid.UUID,
    email: str,
    actor: Actor = OPERATOR_CLI,
) -> str:
    """Invite an organisation's admin and return the invitation link for the operator to hand
    over (the CLI is its delivery channel; it never takes a password)."""
    if await session.get(Organisation, organisation_id) is None:
        raise OrganisationNotFound(organisation_id)
    _, invitation = await users.add_invited_user(
        session=session,
        authority=authority,
        organisation_id=organisation_id,
        email=email,
        role="admin",
        display_name="",
        actor=actor,
    )
    return await links.mint(session=session, authority=authority, link=invitation)


DEMO_ADMINS = {
    demo.UTOPIA_ID: "admin@utopia.example",
    demo.IBEAUTY_ID: "admin@ibeauty.example",
    demo.OPERATOR_ID: "operator@pactum.example",
}


async def seed_demo(*, session: AsyncSession, authority: Authority) -> dict[str, str]:
    """Create the demo organisations and invite their first admins, once; returns the links."""
    invitations: dict[str, str] = {}
    for organisation_id, (name, kind) in demo.ORGANISATIONS.items():
        if await session.get(Organisation, uuid.UUID(organisation_id)) is not None:
            continue
        await create_organisation(
            session=session,
            authority=authority,
            name=name,
            kind=OrganisationKind(kind),
            organisation_id=uuid.UUID(organisation_id),
            actor=authority.system,
        )
        email = DEMO_ADMINS[organisation_id]
        invitations[email] = await create_first_admin(
            session=session,
            authority=authority,
            organisation_id=uuid.UUID(organisation_id),
            email=email,
            actor=authority.system,
        )
    return invitations


async def _own(session: AsyncSession, principal: Principal) -> Organisation:
    organisation = await session.get(Organisation, uuid.UUID(principal.organisation_id))
    if organisation is None:
        raise OrganisationNotFound(principal.organisation_id)
    return organisation


def policy_of(organisation: Organisation) -> dict[str, object]:
    return {name: getattr(organisation, name) for name in POLICY_FIELDS}


async def view_policy(
    *, session: AsyncSession, authority: Authority, principal: Principal
) -> Organisation:
    async with session.begin():
        organisation = await _own(session, principal)
        authority.outbox.add(
            session,
            type="dpa.identity.policy.viewed.v1",
            tenant=principal.organisation_id,
            actor=principal.actor,
            subject=principal.organisation_id,
            data=PolicyViewed(organisation_id=organisation.id),
        )
    return organisation


async def update_policy(
    *,
    session: AsyncSession,
    authority: Authority,
    principal: Principal,
    changes: dict[str, object],
) -> Organisation:
    """Validate the whole resulting policy with the domain rules before anything is written."""
    async with session.begin():
        organisation = await _own(session, principal)
        merged = policy_of(organisation) | changes
        minutes = merged["lock_minutes"]
        if isinstance(minutes, list):
            merged["lock_minutes"] = ",".join(str(int(m)) for m in minutes)
        PasswordPolicy(
            min_length=int(merged["min_length"]),  # type: ignore[call-overload]
            history=int(merged["password_history"]),  # type: ignore[call-overload]
            mfa=MfaRequirement(str(merged["mfa"])),
        )
        LockoutPolicy(
            threshold=int(merged["lock_threshold"]),  # type: ignore[call-overload]
            lock_minutes=tuple(int(m) for m in str(merged["lock_minutes"]).split(",")),
            permanent_after=merged["permanent_after"],  # type: ignore[arg-type]
        )
        changed = sorted(k for k in POLICY_FIELDS if merged[k] != getattr(organisation, k))
        if changed:
            await session.execute(
                update(Organisation)
                .where(col(Organisation.id) == organisation.id)
                .values(**{k: merged[k] for k in changed})
            )
            authority.outbox.add(
                session,
                type="dpa.identity.policy.updated.v1",
                tenant=principal.organisation_id,
                actor=principal.actor,
                subject=principal.organisation_id,
                data=PolicyUpdated(organisation_id=organisation.id, changed=changed),
            )
    await session.refresh(organisation)
    return organisation
