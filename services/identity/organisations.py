"""Organisations, their first admins (operator CLI and demo seed) and their security policy.

The operator (an admin of the ``operator`` organisation, or the operator CLI) also renames an
organisation, disables one whose contract ended (and enables it again), and has identity
re-announce every organisation to services that start with an empty copy of them (the agreements
directory after a new deployment or a restore, or for organisations older than the stream's
retention). Each is an event under the organisation's own tenant, so its audit log shows who did
it: ``organisation.updated`` / ``disabled`` / ``enabled`` / ``announced`` (never a second
``created``: announcing re-states, it creates nothing).
"""

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.identity import grants, links, users
from services.identity.authority import Authority
from services.identity.domain import (
    NEW_ORGANISATION_MFA,
    IdentityRuleBroken,
    LockoutPolicy,
    MfaRequirement,
    OrganisationKind,
    OrganisationStatus,
    PasswordPolicy,
    check_idle_minutes,
    check_mfa_choice,
    required_mfa,
)
from services.identity.sessions import end_sessions
from services.identity.store import LoginSession, OneTimeLink, Organisation, UserAccount
from shared import demo
from shared.auth import Principal
from shared.event_types.identity import (
    ORGANISATION_ANNOUNCED,
    ORGANISATION_CREATED,
    ORGANISATION_UPDATED,
    POLICY_UPDATED,
    POLICY_VIEWED,
)
from shared.events import Actor, ActorType
from shared.events.contracts.identity import (
    OrganisationAnnounced,
    OrganisationCreated,
    OrganisationRenamed,
    OrganisationStatusChanged,
    PolicyUpdated,
    PolicyViewed,
)
from shared.input_rules import InputRefused, check_line

Acted = TypeVar("Acted")

OPERATOR_CLI = Actor(id="operator-cli", type=ActorType.system)

POLICY_FIELDS = (
    "min_length",
    "password_history",
    "mfa",
    "lock_threshold",
    "lock_minutes",
    "permanent_after",
    "phishing_resistant_admins",
    "passwordless",
    "session_idle_minutes",
)


class OrganisationNotFound(LookupError):
    pass


class NotTheOperator(PermissionError):
    """Only the operator's admins run organisations (the answer is a generic 403)."""


MAX_NAME = 200


def organisation_name(name: str) -> str:
    """An organisation's name as stored: whitespace runs collapsed; empty or too long refused."""
    normalised = " ".join(name.split())
    if not normalised:
        raise IdentityRuleBroken("name: an organisation needs a name")
    if len(normalised) > MAX_NAME:
        raise IdentityRuleBroken(f"name: at most {MAX_NAME} characters")
    try:
        return check_line(normalised)
    except InputRefused as refused:
        raise IdentityRuleBroken(f"name: {refused}") from None


async def create_organisation(
    *,
    session: AsyncSession,
    authority: Authority,
    name: str,
    kind: OrganisationKind,
    organisation_id: uuid.UUID | None = None,
    actor: Actor = OPERATOR_CLI,
    mfa: MfaRequirement = NEW_ORGANISATION_MFA,
) -> Organisation:
    """A new organisation; unless told otherwise its admins sign in with a second factor (an
    operator organisation's staff always do, whatever ``mfa`` says)."""
    organisation = Organisation(
        id=organisation_id or uuid.uuid4(),
        name=organisation_name(name),
        kind=kind,
        created_at=datetime.now(UTC),
        mfa=required_mfa(kind, mfa),
    )
    session.add(organisation)
    await session.flush()
    authority.outbox.add(
        session,
        type=ORGANISATION_CREATED,
        tenant=str(organisation.id),
        actor=actor,
        subject=str(organisation.id),
        data=OrganisationCreated(
            organisation_id=organisation.id, kind=kind, name=organisation.name
        ),
    )
    return organisation


async def operator_actor(session: AsyncSession, principal: Principal) -> Actor:
    """The caller as the operator: an admin of the ``operator`` organisation, in its own name
    (never under a supplier access grant)."""
    if principal.grant_id is not None:
        raise NotTheOperator("a token under a grant cannot run organisations")
    own = await session.get(Organisation, uuid.UUID(principal.organisation_id))
    if own is None or own.kind != OrganisationKind.operator:
        raise NotTheOperator("only the operator runs organisations")
    return principal.actor


async def _organisation(session: AsyncSession, organisation_id: uuid.UUID) -> Organisation:
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None:
        raise OrganisationNotFound(organisation_id)
    return organisation


async def rename_organisation(
    *,
    session: AsyncSession,
    authority: Authority,
    organisation_id: uuid.UUID,
    name: str,
    actor: Actor = OPERATOR_CLI,
) -> Organisation:
    """Rename an organisation, in the caller's transaction; the same name again changes nothing
    and emits nothing."""
    organisation = await _organisation(session, organisation_id)
    new_name = organisation_name(name)
    if new_name != organisation.name:
        organisation.name = new_name
        await session.flush()
        authority.outbox.add(
            session,
            type=ORGANISATION_UPDATED,
            tenant=str(organisation.id),
            actor=actor,
            subject=str(organisation.id),
            data=OrganisationRenamed(organisation_id=organisation.id, name=new_name),
        )
    return organisation


async def set_organisation_status(
    *,
    session: AsyncSession,
    authority: Authority,
    organisation_id: uuid.UUID,
    status: OrganisationStatus,
    actor: Actor = OPERATOR_CLI,
) -> Organisation:
    """Disable an organisation (its contract ended) or enable it again, in the caller's
    transaction. The operator's own organisation cannot be disabled (it would lock the operator
    out of running organisations). The status it has already changes nothing and emits nothing."""
    organisation = await _organisation(session, organisation_id)
    if status is OrganisationStatus.disabled and organisation.kind == OrganisationKind.operator:
        raise IdentityRuleBroken("the operator's own organisation cannot be disabled")
    if organisation.status != status:
        organisation.status = status
        await session.flush()
        if status is OrganisationStatus.disabled:
            await _end_all_sessions(session, authority, organisation, actor)
            # The operator's own staff under a grant are not its users: end their grants too.
            await grants.end_grants_of(
                session=session, authority=authority, organisation_id=organisation.id, actor=actor
            )
        authority.outbox.add(
            session,
            type=f"dpa.identity.organisation.{status_verb(status)}.v1",
            tenant=str(organisation.id),
            actor=actor,
            subject=str(organisation.id),
            data=OrganisationStatusChanged(organisation_id=organisation.id),
        )
    return organisation


async def _end_all_sessions(
    session: AsyncSession, authority: Authority, organisation: Organisation, actor: Actor
) -> None:
    """A disabled organisation's users are signed out everywhere: their sessions end here and
    every service drops their access tokens on the revocation events (login and refresh are
    refused while it stays disabled)."""
    live = (
        select(col(LoginSession.user_id))
        .where(col(LoginSession.revoked_at).is_(None))
        .distinct()
        .scalar_subquery()
    )
    signed_in = await session.scalars(
        select(UserAccount).where(
            col(UserAccount.organisation_id) == organisation.id, col(UserAccount.id).in_(live)
        )
    )
    for user in signed_in.all():
        await end_sessions(
            session=session,
            authority=authority,
            user=user,
            reason="organisation_disabled",
            actor=actor,
        )


def status_verb(status: OrganisationStatus) -> str:
    return "disabled" if status is OrganisationStatus.disabled else "enabled"


ANNOUNCE_BATCH = 500


async def announce_organisations(
    *,
    session: AsyncSession,
    authority: Authority,
    actor: Actor = OPERATOR_CLI,
) -> int:
    """Re-state every organisation (id, kind, name, status) as one ``organisation.announced``
    event each, in the caller's transaction; returns how many. Consumers take an announcement in
    like any later fact, so announcing twice changes nothing a first time did not."""
    announced = 0
    last: uuid.UUID | None = None
    while True:
        query = select(Organisation).order_by(col(Organisation.id)).limit(ANNOUNCE_BATCH)
        if last is not None:
            query = query.where(col(Organisation.id) > last)
        batch = (await session.scalars(query)).all()
        for organisation in batch:
            authority.outbox.add(
                session,
                type=ORGANISATION_ANNOUNCED,
                tenant=str(organisation.id),
                actor=actor,
                subject=str(organisation.id),
                data=OrganisationAnnounced(
                    organisation_id=organisation.id,
                    kind=OrganisationKind(organisation.kind).value,
                    name=organisation.name,
                    status=OrganisationStatus(organisation.status).value,
                ),
            )
        announced += len(batch)
        if len(batch) < ANNOUNCE_BATCH:
            return announced
        last = batch[-1].id


async def create_first_admin(
    *,
    session: AsyncSession,
    authority: Authority,
    organisation_id: uuid.UUID,
    email: str,
    actor: Actor = OPERATOR_CLI,
) -> str:
    """Invite an organisation's admin and return the invitation link for the operator to hand
    over (the CLI is its delivery channel; it never takes a password). No mail is sent and no
    mail can replace the link: it stays the one that works (issue 18.1)."""
    invitation = await _invite_first_admin(
        session=session,
        authority=authority,
        organisation_id=organisation_id,
        email=email,
        actor=actor,
        delivered_by="operator",
    )
    return await links.hand_over(session=session, authority=authority, link=invitation)


async def mail_first_admin(
    *,
    session: AsyncSession,
    authority: Authority,
    organisation_id: uuid.UUID,
    email: str,
    actor: Actor = OPERATOR_CLI,
) -> None:
    """Invite an organisation's admin by mail (the notifier delivers the link; none is shown)."""
    await _invite_first_admin(
        session=session,
        authority=authority,
        organisation_id=organisation_id,
        email=email,
        actor=actor,
        delivered_by="mail",
    )


async def _invite_first_admin(
    *,
    session: AsyncSession,
    authority: Authority,
    organisation_id: uuid.UUID,
    email: str,
    actor: Actor,
    delivered_by: str,
) -> OneTimeLink:
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
        delivered_by=delivered_by,
    )
    return invitation


DEMO_ADMINS = {
    demo.UTOPIA_ID: "admin@utopia.example",
    demo.IBEAUTY_ID: "admin@ibeauty.example",
    demo.OPERATOR_ID: "operator@pactum.example",
}


async def seed_demo(*, session: AsyncSession, authority: Authority) -> list[str]:
    """Create the demo organisations and invite their first admins by mail, once; returns the
    addresses invited. The demo reads the links from the mail sink, as a person reads a mailbox;
    no link is printed, since a printed one and a mailed one cannot both work (issue 18.1)."""
    invitations: list[str] = []
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
            # The demo's walkthrough signs its customers' admins in with a password alone; an
            # organisation the operator creates asks its admins for a second factor.
            mfa=MfaRequirement.none,
        )
        email = DEMO_ADMINS[organisation_id]
        await mail_first_admin(
            session=session,
            authority=authority,
            organisation_id=uuid.UUID(organisation_id),
            email=email,
            actor=authority.system,
        )
        invitations.append(email)
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
            type=POLICY_VIEWED,
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
        check_mfa_choice(organisation.kind, MfaRequirement(str(merged["mfa"])))
        check_idle_minutes(
            int(merged["session_idle_minutes"]),  # type: ignore[call-overload]
            session_hours=authority.settings.session_hours,
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
                type=POLICY_UPDATED,
                tenant=principal.organisation_id,
                actor=principal.actor,
                subject=principal.organisation_id,
                data=PolicyUpdated(organisation_id=organisation.id, changed=changed),
            )
    await session.refresh(organisation)
    return organisation


async def as_operator(
    *,
    session: AsyncSession,
    principal: Principal,
    act: Callable[[Actor], Awaitable[Acted]],
) -> Acted:
    """Run one of the operator's acts on organisations for an API caller: the caller must be the
    operator; the act's state and events commit together."""
    async with session.begin():
        return await act(await operator_actor(session, principal))
