"""Operator commands: the first organisations and their first admins, and key rotation.

    python -m services.identity.cli create-organisation --name UTOPIA --kind controller
    python -m services.identity.cli create-admin --organisation <id> --email admin@utopia.example
    python -m services.identity.cli rotate-signing-key
    python -m services.identity.cli rename-organisation --organisation <id> --name "UTOPIA NV"
    python -m services.identity.cli disable-organisation --organisation <id>
    python -m services.identity.cli enable-organisation --organisation <id>
    python -m services.identity.cli announce-organisations

``create-admin`` prints an invitation link for the operator to hand to the new admin, who chooses
their own password with it (TOM-T2c); no command takes a password. The operator is then the link's
only channel: the notifier sends no invitation mail and can never mint the link again, so the
printed link is the one that works (issue 18.1). With ``--mail`` the command prints no link: the
notifier mails it to the address instead. The commands write to
identity's database; their events go through its outbox and are published by the running service
(or at its next start).
"""

import argparse
import asyncio
import sys
import uuid
from argparse import Namespace
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

import services.identity.migrations  # noqa: F401  (registers identity's migrations)
from services.identity import organisations
from services.identity.authority import Authority, load_or_create_delivery_key
from services.identity.domain import (
    NEW_ORGANISATION_MFA,
    IdentityRuleBroken,
    MfaRequirement,
    OrganisationKind,
    OrganisationStatus,
)
from services.identity.keys import Sealer, load_or_create_signer, record_signing_key, rotate_signer
from services.identity.passwords import Passwords
from services.identity.settings import IdentitySettings
from shared import migrations
from shared.auth import TokenSigner
from shared.database import create_engine, session_factory
from shared.events import Actor
from shared.outbox import Outbox
from shared.revocation import RevocationList

ORGANISATION_COMMANDS = frozenset(
    {
        "rename-organisation",
        "disable-organisation",
        "enable-organisation",
        "announce-organisations",
    }
)


def add_organisation_commands(
    commands: "argparse._SubParsersAction[argparse.ArgumentParser]",
    *,
    kinds: Sequence[str] = tuple(OrganisationKind),
) -> None:
    """The operator's commands on organisations and their first admins, for this command line
    and for ``pactum`` (which offers only the controller and processor kinds)."""
    create = commands.add_parser("create-organisation", help="create an organisation")
    create.add_argument("--name", required=True, help="the organisation's name")
    create.add_argument(
        "--kind", required=True, choices=list(kinds), help="what the organisation is"
    )
    create.add_argument(
        "--mfa",
        choices=[m.value for m in MfaRequirement],
        default=NEW_ORGANISATION_MFA.value,
        help="who must sign in with a second factor (default: admins; an operator organisation: "
        "everyone, whatever is chosen); its admins may change it later",
    )
    admin = commands.add_parser(
        "create-admin",
        help="invite an organisation's first admin (prints a one-time link; no mail is sent)",
    )
    admin.add_argument(
        "--organisation", required=True, type=uuid.UUID, help="the organisation's id"
    )
    admin.add_argument("--email", required=True, help="the address the invitation is for")
    admin.add_argument(
        "--mail",
        action="store_true",
        help="mail the invitation link to the address instead of printing it",
    )
    rename = commands.add_parser("rename-organisation", help="rename an organisation")
    rename.add_argument(
        "--organisation", required=True, type=uuid.UUID, help="the organisation's id"
    )
    rename.add_argument("--name", required=True, help="its new name")
    for name, text in (
        ("disable-organisation", "disable an organisation whose contract ended (no new agreement)"),
        ("enable-organisation", "enable a disabled organisation again"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument(
            "--organisation", required=True, type=uuid.UUID, help="the organisation's id"
        )
    commands.add_parser(
        "announce-organisations",
        help="have identity re-announce every organisation (after a new deployment of a "
        "service, a restore, or for organisations older than the stream's retention)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m services.identity.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    add_organisation_commands(commands)
    commands.add_parser("rotate-signing-key", help="replace the token signing key")
    return parser


async def _organisations(
    session: AsyncSession, authority: Authority, options: Namespace, actor: Actor
) -> str:
    """The operator's acts on organisations, as the operator CLI."""
    if options.command == "announce-organisations":
        count = await organisations.announce_organisations(
            session=session, authority=authority, actor=actor
        )
        return f"announced {count} organisation(s); identity publishes the events"
    if options.command == "rename-organisation":
        renamed = await organisations.rename_organisation(
            session=session,
            authority=authority,
            organisation_id=options.organisation,
            name=options.name,
            actor=actor,
        )
        return f"{renamed.id}: {renamed.name}"
    status = (
        OrganisationStatus.disabled
        if options.command == "disable-organisation"
        else OrganisationStatus.active
    )
    changed = await organisations.set_organisation_status(
        session=session,
        authority=authority,
        organisation_id=options.organisation,
        status=status,
        actor=actor,
    )
    return f"{changed.id}: {changed.status}"


async def run(
    arguments: Sequence[str],
    settings: IdentitySettings | None = None,
    *,
    actor: Actor = organisations.OPERATOR_CLI,
) -> str:
    """Run one command as ``actor`` (``pactum`` passes the operator who runs it); returns what
    it prints."""
    options = _parser().parse_args(arguments)
    settings = settings or IdentitySettings()
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    try:
        await migrations.migrate(settings, engine)
        sessions = session_factory(engine)
        rotating = options.command == "rotate-signing-key"
        signer = _signer(settings, rotate=rotating)
        authority = _operator_authority(settings, signer)
        if rotating:
            async with sessions() as session:
                await record_signing_key(session, authority)
            return (
                f"new signing key {signer.public_jwk['kid']}; restart identity to sign with it "
                "(the JWKS serves the previous key for a day)"
            )
        async with sessions() as session, session.begin():
            return await _operator_act(session, authority, options, settings, actor)
    finally:
        await engine.dispose()


def _signer(settings: IdentitySettings, *, rotate: bool) -> TokenSigner:
    """The token signing key: a new one when rotating, else the one on file (made if none)."""
    if rotate:
        _, signer = rotate_signer(
            settings.signing_key_path,
            issuer=settings.token_issuer,
            audience=settings.token_audience,
        )
        return signer
    return load_or_create_signer(
        settings.signing_key_path,
        issuer=settings.token_issuer,
        audience=settings.token_audience,
    )


def _operator_authority(settings: IdentitySettings, signer: TokenSigner) -> Authority:
    """The authority the operator's commands act with, outside the running service (a
    revocation list of its own); their events go through identity's outbox."""
    return Authority(
        settings=settings,
        outbox=Outbox.of_command(settings),
        signer=signer,
        sealer=Sealer.from_file(settings.data_key_path),
        passwords=Passwords(),
        revocations=RevocationList(),
        delivery_key=load_or_create_delivery_key(settings.delivery_key_path),
    )


async def _operator_act(
    session: AsyncSession,
    authority: Authority,
    options: Namespace,
    settings: IdentitySettings,
    actor: Actor,
) -> str:
    """One act of the operator in the caller's transaction; returns what the command prints."""
    if options.command in ORGANISATION_COMMANDS:
        return await _organisations(session, authority, options, actor)
    if options.command == "create-organisation":
        organisation = await organisations.create_organisation(
            session=session,
            authority=authority,
            name=options.name,
            kind=OrganisationKind(options.kind),
            mfa=MfaRequirement(options.mfa),
            actor=actor,
        )
        return str(organisation.id)
    return await _invite_first_admin(session, authority, options, settings, actor)


async def _invite_first_admin(
    session: AsyncSession,
    authority: Authority,
    options: Namespace,
    settings: IdentitySettings,
    actor: Actor,
) -> str:
    """Invite an organisation's first admin: the link printed for the operator to hand over, or
    mailed by the notifier with ``--mail`` (then no link is printed)."""
    email = options.email.strip().lower()
    if options.mail:
        await organisations.mail_first_admin(
            session=session,
            authority=authority,
            organisation_id=options.organisation,
            email=options.email,
            actor=actor,
        )
        return (
            f"invitation for {email} mailed (valid {settings.invitation_hours} h, works once); "
            "no link printed"
        )
    link = await organisations.create_first_admin(
        session=session,
        authority=authority,
        organisation_id=options.organisation,
        email=options.email,
        actor=actor,
    )
    return (
        f"invitation for {email} (valid {settings.invitation_hours} h, works once; not mailed, "
        f"hand it over): {link}"
    )


def main() -> None:
    try:
        print(asyncio.run(run(sys.argv[1:])))
    except organisations.OrganisationNotFound:
        print("no such organisation", file=sys.stderr)
        sys.exit(2)
    except IntegrityError:
        print("a user of this organisation already has this e-mail address", file=sys.stderr)
        sys.exit(2)
    except IdentityRuleBroken as error:
        print(str(error), file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
