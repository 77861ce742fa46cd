"""``pactum``: the operator's command line.

    pactum create-organisation --name UTOPIA --kind controller
    pactum create-admin --organisation <id> --email admin@utopia.example
    pactum rename-organisation --organisation <id> --name "UTOPIA NV"
    pactum disable-organisation --organisation <id>      (its contract ended; enable-... undoes)
    pactum announce-organisations
    pactum rotate-key token|checkpoint|ingest
    pactum rotate-key token --revoke-now                  (a key leaked: no day of grace)
    pactum checkpoint
    pactum verify-export audit-<organisation>.jsonl [--public-key KEYS ...]
    pactum migrate [SERVICE] [upgrade|current|check]
    pactum health [--max-age SECONDS]
    pactum backup-key > /secure/place/backup.key
    pactum backup --into /backups --key-file /secure/place/backup.key
    pactum backup-verify /backups/pactum-backup-... --key-file ...
    pactum restore /backups/pactum-backup-... --key-file ... --yes

    pactum list organisations|users|agreements|grants|deliveries [--organisation <id>] [--limit N]
    pactum show organisation|user|agreement|grant|delivery <id>

Every command that changes the platform (creates, renames, disables or announces organisations,
invites an admin, rotates a key, migrates, backs up or restores) says who runs it: ``--operator
NAME`` or ``PACTUM_OPERATOR``; without it the command is refused (exit 2). Their acts are written
into the customers' audit logs (TOM-T3c): the organisation commands as the events identity
records, with the operator as their actor; backup, restore, migrate and rotate-key as one platform
maintenance event that the audit service files in every organisation's log (docs/audit.md).
``list`` and ``show`` record their reads too; ``checkpoint`` only signs what the logs hold.

Every command reads the same settings as the services (``PACTUM_<SERVICE>_DATABASE_URL``,
``PACTUM_NATS_URL``, key files, ...), so run it with the services' environment, and takes
``--json`` (one document on stdout; deploy/answers.py). Exit codes: 0 done (or all healthy),
1 a check found a problem (an export that does not verify, a database that differs from its
models or is missing, an outbox backlog too old, a backup that does not hold), 2 bad usage
(unknown option, missing file, a bad cursor), 3 not found (no such organisation or record).
"""

import argparse
import asyncio
import ipaddress
import json
import os
import re
import sys
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import nats
import structlog
from nats.js.errors import NotFoundError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from deploy import backup as backups
from deploy import inventory
from deploy.answers import Answer, shown, table
from deploy.migrations import EVERY_SERVICE
from shared import migrations
from shared.database import create_engine, is_sqlite, session_factory
from shared.events import Actor, ActorType
from shared.events.contracts.audit import MAINTENANCE_KINDS, PlatformMaintenance
from shared.events.subjects import PLATFORM_TENANT
from shared.outbox import Outbox, OutboxRelay, backlog
from shared.pseudonyms import Pseudonyms, read_key
from shared.settings import ServiceSettings, nats_servers, nats_tls, nats_url_without_credentials

OK, FOUND, USAGE, NOT_FOUND = 0, 1, 2, 3


class UsageError(Exception):
    """Bad input: exit 2 with this message."""


class Found(Exception):
    """A check found a problem: exit 1 with this message."""


class Missing(LookupError):
    """No such organisation (or other record): exit 3 with this message."""


# The services that keep the platform's data and events: what health and backups cover. The
# console keeps only its sessions (sealed tokens that expire within hours): it is migrated with the
# rest, but a restore starts it with no sessions, and it has no events to relay.
# Every service's migrations, registered by deploy/migrations.py; the console keeps no events.
DATA_SERVICES = tuple(m.service for m in EVERY_SERVICE if m.service != "console")


def service_settings(service: str) -> ServiceSettings:
    """The settings a service reads from the environment."""
    if service == "identity":
        from services.identity.settings import IdentitySettings

        return IdentitySettings()
    if service == "agreements":
        from services.agreements.settings import AgreementsSettings

        return AgreementsSettings()
    if service == "audit":
        from services.audit.settings import AuditSettings

        return AuditSettings()
    if service == "notifier":
        from services.notifier.settings import NotifierSettings

        return NotifierSettings()
    if service == "console":
        from services.console.settings import ConsoleSettings

        return ConsoleSettings()
    raise UsageError(f"no service {service!r} (one of {', '.join(migrations.SERVICES)})")


OPERATOR_ENV = "PACTUM_OPERATOR"
_OPERATOR_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
# The commands that change the platform or a customer's data: they must say who runs them.
CHANGING = frozenset(
    {
        "create-organisation",
        "create-admin",
        "rename-organisation",
        "disable-organisation",
        "enable-organisation",
        "announce-organisations",
        "rotate-key",
        "backup",
        "restore",
    }
)

MAX_LIMIT = 1000
SINGULAR = {kind.one: kind.name for kind in inventory.KINDS.values()}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pactum", description="Operate a pactum platform (see docs/operations.md)."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    from services.identity import cli as identity_cli

    identity_cli.add_organisation_commands(commands, kinds=("controller", "processor"))

    _key_commands(commands)
    _platform_commands(commands)
    _backup_commands(commands)
    _inventory_commands(commands)
    _common_options(commands)
    return parser


def _key_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Keys and checkpoints: rotate a key, sign checkpoints, verify an export offline."""
    rotate = commands.add_parser("rotate-key", help="rotate a signing or sealing key")
    rotate.add_argument(
        "key",
        choices=["token", "checkpoint", "ingest"],
        help="token: identity's access-token key; checkpoint: audit's checkpoint key; ingest: "
        "audit's ingest key, which the services seal the actor's name to",
    )
    rotate.add_argument(
        "--revoke-now",
        action="store_true",
        help="token only, for a key that leaked: revoke every earlier key at once (no day of "
        "grace); every service refuses tokens it signed within seconds",
    )

    commands.add_parser("checkpoint", help="sign a checkpoint of every audit tree that grew")

    verify = commands.add_parser("verify-export", help="verify an audit export offline")
    verify.add_argument("export", type=Path, help="the file of GET /audit/export")
    verify.add_argument(
        "--public-key",
        action="append",
        help="the pinned keys: the JSON of GET /audit/checkpoint-key (or @file), or one base64 "
        "key per option (repeat it)",
    )


def _platform_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """The platform's state: migrations, health, a new backup key, a client address's pseudonym."""
    migrate = commands.add_parser("migrate", help="migrate the databases (Alembic)")
    migrate.add_argument(
        "service",
        nargs="?",
        choices=[*migrations.SERVICES, "all"],
        default="all",
        help="whose database (default: all)",
    )
    migrate.add_argument(
        "action",
        nargs="?",
        choices=["upgrade", "current", "check"],
        default="upgrade",
        help="upgrade to head (default); current: the revision it is at (exit 1 when behind); "
        "check: compare with the models (exit 1 on a difference)",
    )

    health = commands.add_parser("health", help="outbox backlog and JetStream consumer state")
    health.add_argument(
        "--max-age",
        type=float,
        help="seconds an unpublished event may wait (default: the stream's duplicate window)",
    )

    commands.add_parser("backup-key", help="print a new random backup key (base64)")
    pseudonym = commands.add_parser(
        "pseudonym",
        help="the pseudonym events and log lines carry for a client address (to find an "
        "address seen at the proxy in pactum's logs; an address cannot be read back from one)",
    )
    pseudonym.add_argument("address", nargs="+", help="an IPv4 or IPv6 address")


def _backup_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Back up, verify a backup, restore one."""
    for name, text in (
        ("backup", "back up every database and the event stream, encrypted"),
        ("backup-verify", "check a backup's manifest and every part without restoring"),
        ("restore", "restore a backup (services stopped); verifies it first"),
    ):
        command = commands.add_parser(name, help=text)
        if name == "backup":
            command.add_argument("--into", type=Path, required=True, help="directory for backups")
            command.add_argument("--no-stream", action="store_true", help="databases only")
        else:
            command.add_argument("backup", type=Path, help="a pactum-backup-... directory")
        if name == "restore":
            command.add_argument("--yes", action="store_true", help="replace the databases")
            command.add_argument("--no-stream", action="store_true", help="databases only")
        if name != "backup-verify":
            command.add_argument(
                "--service",
                action="append",
                choices=DATA_SERVICES,
                help="only this service's database (repeatable; default: all four)",
            )
        command.add_argument(
            "--key-file", type=Path, help=f"the backup key's file (or set {backups.KEY_ENV})"
        )


def _common_options(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """What every command takes: who runs it, and an answer in JSON."""
    for command in commands.choices.values():
        command.add_argument(
            "--operator",
            metavar="NAME",
            help=f"who runs the command (or set {OPERATOR_ENV}); required by every command that "
            "changes the platform, and named in the customers' audit logs",
        )
        command.add_argument(
            "--json",
            action="store_true",
            help="answer with one JSON document on stdout (stable keys; see docs/operations.md)",
        )


def _limit(text: str) -> int:
    try:
        limit = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"between 1 and {MAX_LIMIT}")
    return limit


def _inventory_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    kinds = [*inventory.KINDS, *SINGULAR]
    listing = commands.add_parser(
        "list", help="list organisations, users, agreements, grants or deliveries (audited)"
    )
    listing.add_argument("kind", choices=kinds, metavar="KIND", help=f"one of {', '.join(kinds)}")
    listing.add_argument(
        "--organisation",
        type=uuid.UUID,
        help="whose records (required for all but organisations: one customer at a time)",
    )
    listing.add_argument(
        "--limit", type=_limit, default=50, help=f"at most this many (1-{MAX_LIMIT}, default 50)"
    )
    listing.add_argument(
        "--cursor", help="the next_cursor of the previous page; leave out for the first page"
    )
    showing = commands.add_parser("show", help="show one record by its id (audited)")
    showing.add_argument("kind", choices=kinds, metavar="KIND", help=f"one of {', '.join(kinds)}")
    showing.add_argument("id", type=uuid.UUID, help="the record's id")


async def run(arguments: Sequence[str], out: TextIO | None = None) -> int:
    """Run one command; returns its exit code (argparse exits 2 itself on unknown options)."""
    options = _parser().parse_args(arguments)
    answer = Answer(out or sys.stdout, as_json=options.json)
    try:
        options.actor = operator_actor(options)
        code = await _dispatch(options, answer)
    except UsageError as error:
        answer.fail(USAGE, str(error), options.command)
        return USAGE
    except (inventory.NotFound, Missing) as error:
        answer.fail(NOT_FOUND, str(error), options.command)
        return NOT_FOUND
    except (Found, backups.BackupError) as error:
        answer.fail(FOUND, str(error), options.command)
        return FOUND
    answer.finish()
    return code


def operator_actor(options: argparse.Namespace) -> Actor | None:
    """Who runs the command, as the actor of what it records (a supplier intervention in each
    customer's log); ``UsageError`` when a changing command does not say, or says it badly (the
    same answer either way)."""
    name = (options.operator or os.environ.get(OPERATOR_ENV) or "").strip()
    changing = options.command in CHANGING or (
        options.command == "migrate" and options.action == "upgrade"
    )
    if not _OPERATOR_NAME.match(name):
        if changing:
            raise UsageError(
                f"this command changes the platform: say who runs it with --operator NAME or "
                f"{OPERATOR_ENV} (letters, digits, '.', '_', '@', '-'; at most 100)"
            )
        return None
    return Actor(id=f"operator-cli:{name}", type=ActorType.operator, name=name)


async def _record_maintenance(
    actor: Actor | None, command: str, out: Answer, subject: str | None = None, **data: Any
) -> None:
    """Write one platform maintenance event (TOM-T3c) into audit's outbox and publish it now;
    the audit service files it in every organisation's log. Recorded after the act, so that a
    restore's event is not undone by the restore. If NATS does not answer, audit's relay
    publishes it when it runs."""
    assert actor is not None  # operator_actor() required it for this command
    assert actor.name is not None
    settings = service_settings("audit")
    await _migrated("audit")
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    try:
        sessions = session_factory(engine)
        async with sessions() as session, session.begin():
            Outbox.of_command(settings).add(
                session,
                type=MAINTENANCE_KINDS[command],
                tenant=PLATFORM_TENANT,
                actor=actor,
                subject=subject,
                data=PlatformMaintenance(operator=actor.name, command=command, **data),
            )
        problem = await _publish_outbox(settings, sessions)
    finally:
        await engine.dispose()
    if problem is not None:  # on stderr: stdout is the command's answer
        structlog.get_logger().warning(
            "operator.maintenance_not_published_yet",
            problem=problem,
            detail="audit's relay publishes it when it runs; then it is in every log",
        )
    out.set(audit_logged=problem is None)


async def _rotate_and_record(options: argparse.Namespace, out: Answer) -> int:
    """Rotate a key, then record it in every organisation's log: also an emergency rotation whose
    revocation could not be published yet (the key did change)."""
    emergency = options.revoke_now
    try:
        if emergency:
            return await _revoke_token_key(options.key, out)
        return await _rotate(options.key, out)
    finally:
        if "key_id" in out.document:
            await _record_maintenance(
                options.actor,
                "revoke-key" if emergency else "rotate-key",
                out,
                options.key,
                key=options.key,
                key_id=out.document.get("key_id"),
                services=["identity" if options.key == "token" else "audit"],
            )


async def _dispatch(options: argparse.Namespace, out: Answer) -> int:
    command: str = options.command
    if command in {"create-organisation", "create-admin"}:
        return await _identity(options, out)
    if command in ORGANISATION_COMMANDS:
        return await _organisations(options, out)
    if command == "rotate-key":
        return await _rotate_and_record(options, out)
    if command == "checkpoint":
        return await _checkpoint(out)
    if command == "verify-export":
        return _verify_export(options.export, options.public_key, out)
    if command == "migrate":
        return await _migrate(options.service, options.action, out, options.actor)
    if command == "health":
        return await _health(options.max_age, out)
    if command in {"list", "show"}:
        return await _inventory(options, out)
    if command in {"backup", "restore"}:
        code = await _backup(options, out)
        named = options.backup if command == "restore" else Path(str(out.document["backup"]))
        await _record_maintenance(
            options.actor,
            command,
            out,
            named.name,
            backup=named.name,
            services=list(options.service or DATA_SERVICES),
        )
        return code
    if command == "pseudonym":
        return _pseudonyms(options.address, out)
    if command == "backup-key":
        key = backups.new_key()
        out.say(key)
        out.set(key=key)
        return OK
    return await _backup(options, out)


def _pseudonyms(addresses: Sequence[str], out: Answer) -> int:
    """Each address's pseudonym under the platform's key (TOM-32a): read, never created."""
    for address in addresses:
        try:
            ipaddress.ip_address(address.strip())
        except ValueError:
            raise UsageError(f"{address!r} is not an IPv4 or IPv6 address") from None
    path = service_settings("identity").pseudonym_key_path
    try:
        pseudonyms = Pseudonyms(read_key(path))
    except (OSError, ValueError) as error:
        raise UsageError(f"no pseudonym key at {path}: {type(error).__name__}") from None
    found = {address: pseudonyms.of_address(address) for address in addresses}
    for address, pseudonym in found.items():
        out.say(f"{address} {pseudonym}")
    out.set(pseudonyms=found)
    return OK


async def _migrated(service: str) -> None:
    settings = service_settings(service)
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    try:
        await migrations.migrate(settings, engine)
    finally:
        await engine.dispose()


async def _identity(options: argparse.Namespace, out: Answer) -> int:
    from services.identity import cli, organisations
    from services.identity.domain import IdentityRuleBroken

    await _migrated("identity")
    if options.command == "create-organisation":
        if not options.name.strip():
            raise UsageError("--name is empty")
        arguments = ["create-organisation", "--name", options.name, "--kind", options.kind]
        arguments += ["--mfa", options.mfa]
    else:
        if "@" not in options.email:
            raise UsageError(f"{options.email!r} is not an e-mail address")
        arguments = ["create-admin", "--organisation", str(options.organisation)]
        arguments += ["--email", options.email, *(["--mail"] if options.mail else [])]
    try:
        said = await cli.run(arguments, actor=options.actor)
    except organisations.OrganisationNotFound:
        raise Missing(f"no organisation {options.organisation}") from None
    except IntegrityError:
        raise UsageError("a user of this organisation already has this e-mail address") from None
    except IdentityRuleBroken as error:
        raise UsageError(str(error)) from None
    out.say(said)
    if options.command == "create-organisation":
        out.set(organisation_id=said.strip())
    else:
        link = said.rsplit(": ", 1)[1] if "hand it over" in said else None
        out.set(email=options.email.strip().lower(), invitation_link=link, message=said)
    return OK


ORGANISATION_COMMANDS = frozenset(
    {"rename-organisation", "disable-organisation", "enable-organisation", "announce-organisations"}
)


async def _organisations(options: argparse.Namespace, out: Answer) -> int:
    """The operator's acts on organisations: identity writes them with their events to its
    outbox; the running identity service publishes them (or does at its next start)."""
    from services.identity import cli, organisations
    from services.identity.domain import IdentityRuleBroken

    arguments = [options.command]
    if options.command != "announce-organisations":
        arguments += ["--organisation", str(options.organisation)]
    if options.command == "rename-organisation":
        if not options.name.strip():
            raise UsageError("--name is empty")
        arguments += ["--name", options.name]
    await _migrated("identity")
    try:
        said = await cli.run(arguments, actor=options.actor)
    except organisations.OrganisationNotFound:
        raise Missing(f"no organisation {options.organisation}") from None
    except IdentityRuleBroken as error:
        raise UsageError(str(error)) from None
    out.say(said)
    out.set(message=said)
    if options.command != "announce-organisations":
        out.set(organisation_id=str(options.organisation))
    return OK


async def _rotate(key: str, out: Answer) -> int:
    if key == "token":
        from services.identity import cli

        await _migrated("identity")
        said = await cli.run(["rotate-signing-key"])
        out.say(said)
        out.set(key_id=said.split()[3].rstrip(";"), revoked=[], message=said)
        return OK
    if key == "ingest":
        return _rotate_ingest_key(out)
    return _rotate_checkpoint_key(out)


async def _revoke_token_key(key: str, out: Answer) -> int:
    """Rotate the token key and revoke every earlier one at once; publish the revocations now
    (identity's relay would within a poll, but an emergency should not wait for it)."""
    from services.identity import cli
    from services.identity.keys import load_or_create_signer, revoke_signing_keys
    from services.identity.settings import IdentitySettings

    if key != "token":
        raise UsageError("--revoke-now revokes token keys only (see docs/operations.md)")
    await _migrated("identity")
    await cli.run(["rotate-signing-key"])
    settings = service_settings("identity")
    assert isinstance(settings, IdentitySettings)
    signer = load_or_create_signer(
        settings.signing_key_path, issuer=settings.token_issuer, audience=settings.token_audience
    )
    new = signer.public_jwk["kid"]
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    try:
        sessions = session_factory(engine)
        async with sessions() as session, session.begin():
            revoked = await revoke_signing_keys(
                session,
                outbox=Outbox.of_command(settings),
                actor=Actor.system("identity"),
                keep=new,
            )
        published = await _publish_outbox(settings, sessions)
    finally:
        await engine.dispose()
    out.say(
        f"new signing key {new}; revoked at once: {', '.join(revoked) or 'none'}. A running "
        "identity signs with the new key from the key file as soon as the revocation reaches it "
        "(replicas need the same key file); tokens signed with a revoked key are refused."
    )
    out.set(key_id=new, revoked=revoked, published=published is None)
    if published is not None:
        raise Found(
            f"the revocation is recorded but not published ({published}): identity's relay "
            "publishes it once NATS answers; until then services still accept the old key"
        )
    return OK


async def _connect(settings: ServiceSettings) -> Any:
    """One NATS connection that gives up at once rather than retrying (a command must answer)."""
    return await nats.connect(
        nats_servers(settings.nats_url),
        tls=nats_tls(settings.nats_url, settings.nats_ca_file),
        connect_timeout=3,
        max_reconnect_attempts=1,
        allow_reconnect=False,
    )


async def _publish_outbox(
    settings: ServiceSettings, sessions: async_sessionmaker[AsyncSession]
) -> str | None:
    """Publish a service's pending outbox rows to the stream now, as its relay would (the same
    event ids: a relay that publishes them too is deduplicated). Returns why it could not."""
    try:
        connection = await _connect(settings)
    except Exception as error:
        return f"NATS at {nats_url_without_credentials(settings.nats_url)}: {type(error).__name__}"
    try:
        jetstream = connection.jetstream()

        async def publish(payload: bytes, *, subject: str, **options: Any) -> Any:
            return await jetstream.publish(subject, payload, **options)

        relay = OutboxRelay(sessions=sessions, publish=publish, stream=settings.stream_name)
        while await relay.publish_pending() >= 100:
            pass
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    finally:
        await connection.close()
    return None


async def _inventory(options: argparse.Namespace, out: Answer) -> int:
    """``list`` and ``show`` (deploy/inventory.py): metadata, audited as the API would be."""
    from services.identity.store import begin_immediately
    from shared import pagination

    kind = inventory.KINDS[SINGULAR.get(options.kind, options.kind)]
    if options.command == "list":
        if kind.of_organisation is None and options.organisation is not None:
            raise UsageError(f"{kind.name} are not listed per organisation: leave --organisation")
        if kind.of_organisation is not None and options.organisation is None:
            raise UsageError(f"{kind.name}: pass --organisation (one customer at a time)")
    settings = service_settings(kind.service)
    if absent := _absent(settings):
        raise Found(f"{kind.service}: {absent}")
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    # SQLite: the read and its access event take the write lock at BEGIN and queue behind the
    # running service's writes, instead of failing when one commits between them.
    begin_immediately(engine)
    outbox = Outbox.of_command(settings)
    try:
        async with session_factory(engine)() as session:
            if options.command == "show":
                row = await inventory.show(
                    session, kind=kind, outbox=outbox, record_id=options.id, actor=options.actor
                )
                out.set(**row)
                width = max(len(key) for key in row)
                for key, value in row.items():
                    out.say(f"{key.replace('_', ' '):<{width}}  {shown(value)}")
                return OK
            page = await inventory.list_page(
                session,
                kind=kind,
                outbox=outbox,
                organisation=options.organisation,
                limit=options.limit,
                cursor=options.cursor,
                actor=options.actor,
            )
    except pagination.CursorRefused:
        raise UsageError("--cursor: not one this list gave; start again without it") from None
    except SQLAlchemyError as error:
        raise Found(f"{kind.service} database: {type(error).__name__}") from None
    finally:
        await engine.dispose()
    out.set(kind=kind.name, items=page.rows, next_cursor=page.next_cursor)
    if not page.rows:
        out.say(f"no {kind.name}")
    else:
        for line in table(page.rows, kind.columns):
            out.say(line)
    if page.next_cursor:
        out.say(f"more: add --cursor {page.next_cursor}")
    return OK


def _rotate_checkpoint_key(out: Answer) -> int:
    """Retire the audit checkpoint key: its public half joins the key ring next to the key file
    (published and used to verify the checkpoints it signed), a new key takes its place."""
    from services.audit.checkpoints import ring_of, rotate
    from services.audit.settings import AuditSettings

    settings = service_settings("audit")
    assert isinstance(settings, AuditSettings)
    key_file = settings.checkpoint_key_path
    if not key_file.is_file():
        raise UsageError(
            f"no checkpoint key at {key_file} (set PACTUM_AUDIT_CHECKPOINT_KEY_FILE to the key "
            "the audit service uses)"
        )
    try:
        retired, current = rotate(key_file)
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot rotate the key at {key_file}: {error}") from None
    out.set(key_id=current.key_id, retired_key_id=retired.key_id, key_ring=str(ring_of(key_file)))
    out.say(
        f"new checkpoint key {current.key_id} in {key_file}; key {retired.key_id} retired at "
        f"{retired.retired_at}, its public half kept in {ring_of(key_file)} (back it up with "
        "the key). A running audit service signs its next checkpoint with the new key (it "
        "re-reads the key file); replicas on other hosts need the same key file and key ring, "
        "restart them after copying. Earlier checkpoints keep verifying by their key id."
    )
    return OK


def _rotate_ingest_key(out: Answer) -> int:
    """Retire audit's ingest key: it joins the ring beside the key file (what was sealed to it
    still opens until the stream's retention has passed), a new key takes its place, and its
    public half replaces the file every service seals the actor's name to."""
    from services.audit.settings import AuditSettings
    from shared.ingest_keys import forget_retired, ring_of
    from shared.ingest_keys import rotate as rotate_ingest

    settings = service_settings("audit")
    assert isinstance(settings, AuditSettings)
    key_file, public_file = settings.ingest_key_path, settings.ingest_public_key_path
    if not key_file.is_file():
        raise UsageError(
            f"no ingest key at {key_file} (set PACTUM_AUDIT_INGEST_KEY_FILE to the key the audit "
            "service uses)"
        )
    try:
        retired, current = rotate_ingest(key_file, public_file)
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot rotate the key at {key_file}: {error}") from None
    kept = settings.ingest_keys_kept_days
    forgotten = forget_retired(key_file, kept_days=kept)
    out.set(
        key_id=current,
        retired_key_id=retired,
        key_ring=str(ring_of(key_file)),
        public_key_file=str(public_file),
        forgotten_key_ids=forgotten,
    )
    out.say(
        f"new ingest key {current} in {key_file}, its public half in {public_file}; key "
        f"{retired} retired, kept in {ring_of(key_file)} for {kept} days (names sealed to it "
        "still open; back it up with the key). The running services seal to the new key within "
        "seconds (they re-read the public file) and audit opens both; replicas on other hosts "
        "need the same files, copied."
        + (f" Forgotten, past their {kept} days: {', '.join(forgotten)}." if forgotten else "")
    )
    return OK


async def _checkpoint(out: Answer) -> int:
    from services.audit.checkpoints import CheckpointSigner, checkpoint_due
    from services.audit.settings import AuditSettings

    settings = service_settings("audit")
    assert isinstance(settings, AuditSettings)
    if not settings.checkpoint_key_path.exists():
        raise UsageError(
            f"no checkpoint key at {settings.checkpoint_key_path} (set "
            "PACTUM_AUDIT_CHECKPOINT_KEY_FILE to the key the audit service uses)"
        )
    signer = CheckpointSigner.load_or_create(
        settings.checkpoint_key_path, origin=settings.log_origin
    )
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    try:
        await migrations.migrate(settings, engine)
        signed = await checkpoint_due(session_factory(engine), signer)
    finally:
        await engine.dispose()
    out.say(f"signed {signed} checkpoint(s) with key {signer.key_id}")
    out.set(signed=signed, key_id=signer.key_id)
    return OK


def _verify_export(export: Path, public_keys: list[str] | None, out: Answer) -> int:
    from pactum_verify.export import NotAnExport, pinned_keys, verify_export

    try:
        pinned = pinned_keys(public_keys) if public_keys else None
    except (OSError, ValueError) as error:
        raise UsageError(
            f"--public-key is not a key, a key set or a readable file: {error}"
        ) from None
    try:
        with (
            export.open(encoding="utf-8") as lines,
            out.progress("verify-export (bytes)", export.stat().st_size) as advance,
        ):

            def read() -> Iterator[str]:
                for line in lines:
                    advance(len(line.encode()))
                    yield line

            report = verify_export(read(), public_key=pinned)
    except OSError as error:
        raise UsageError(f"cannot read {export}: {error.strerror}") from None
    except (NotAnExport, UnicodeDecodeError, ValueError) as error:
        raise UsageError(f"{export} is not an audit export: {error}") from None
    out.say(json.dumps(asdict(report)))  # the report is the answer, also in text
    out.set(**asdict(report))
    if not report.valid:
        raise Found(report.problem or "the export does not verify")
    return OK


def _absent(settings: ServiceSettings) -> str | None:
    """A SQLite database file that does not exist (looking must not create it)."""
    url = make_url(settings.database_url)
    path = url.database if url.get_backend_name() == "sqlite" else None
    if path and path != ":memory:" and not Path(path).exists():
        return f"no database at {path}"
    return None


async def _migrate(service: str, action: str, out: Answer, actor: Actor | None = None) -> int:
    code = OK
    names = migrations.SERVICES if service == "all" else (service,)
    results: list[dict[str, Any]] = []
    out.set(action=action, services=results)
    with out.progress(f"migrate {action}", len(names)) as advance:
        for name in names:
            code = max(code, await _migrate_one(name, action, out, results))
            advance()
    # A migration that changed a database is maintenance of the platform (TOM-T3c); one that
    # found every database at head (every deploy runs it) changed nothing and is not recorded.
    moved = [row["service"] for row in results if row.get("from") != row.get("revision")]
    if action == "upgrade" and moved:
        await _record_maintenance(actor, "migrate", out, ", ".join(moved), services=moved)
    return code


async def _migrate_one(name: str, action: str, out: Answer, results: list[dict[str, Any]]) -> int:
    code = OK
    settings = service_settings(name)
    if action != "upgrade" and (absent := _absent(settings)):
        out.say(f"{name}: {absent}")
        results.append({"service": name, "problem": absent})
        return FOUND
    # The migration role's URL: it owns the tables (shared/database_roles.py).
    engine = create_engine(settings.migration_url, schema=settings.database_schema)
    schema = None if is_sqlite(engine) else settings.database_schema
    try:
        if action == "upgrade":
            try:
                before = await migrations.current(engine, schema=schema)
            except SQLAlchemyError:  # no schema yet: nothing to be at
                before = None
            reached = await migrations.upgrade(
                engine, name, schema=schema, runtime_role=settings.runtime_role
            )
            out.say(f"{name}: at {migrations.head(name)} ({reached})")
            results.append({"service": name, "revision": migrations.head(name), "from": before})
        elif action == "current":
            at = await migrations.current(engine, schema=schema)
            state = "up to date" if at == migrations.head(name) else "behind"
            out.say(f"{name}: {at or 'not migrated'} ({state})")
            results.append({"service": name, "revision": at, "head": migrations.head(name)})
            code = code if at == migrations.head(name) else FOUND
        else:
            found = await migrations.check(engine, name, schema=schema)
            for difference in found:
                out.say(f"{name}: differs: {difference}")
            if not found:
                out.say(f"{name}: matches the models")
            results.append({"service": name, "differences": [str(d) for d in found]})
            code = FOUND if found else code
    finally:
        await engine.dispose()
    return code


async def _outbox(service: str) -> dict[str, Any]:
    settings = service_settings(service)
    if absent := _absent(settings):
        return {"service": service, "error": absent}
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    try:
        count, oldest = await backlog(session_factory(engine))
    except Exception as error:
        return {"service": service, "error": f"{type(error).__name__}: {error}"}
    finally:
        await engine.dispose()
    age = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
    return {"service": service, "unpublished": count, "oldest_age_seconds": round(age, 1)}


async def _consumers(settings: ServiceSettings) -> dict[str, Any]:
    try:
        connection = await _connect(settings)
    except Exception as error:
        shown = nats_url_without_credentials(settings.nats_url)
        return {"error": f"NATS at {shown}: {type(error).__name__}: {error}"}
    try:
        jetstream = connection.jetstream()
        try:
            stream = await jetstream.stream_info(settings.stream_name)
        except NotFoundError:
            return {"error": f"no stream {settings.stream_name}"}
        consumers = await jetstream.consumers_info(settings.stream_name)
        return {
            "stream": settings.stream_name,
            "messages": stream.state.messages,
            "consumers": [
                {
                    "name": info.name,
                    "pending": info.num_pending or 0,
                    "ack_pending": info.num_ack_pending or 0,
                    "redelivered": info.num_redelivered or 0,
                }
                for info in sorted(consumers, key=lambda info: info.name or "")
            ],
        }
    finally:
        await connection.close()


async def _health(max_age: float | None, out: Answer) -> int:
    platform = service_settings("agreements")
    limit = max_age if max_age is not None else platform.stream_duplicate_window_seconds
    outboxes = [await _outbox(service) for service in DATA_SERVICES]
    stream = await _consumers(platform)
    problems = [f"{row['service']}: {row['error']}" for row in outboxes if "error" in row]
    problems += [
        f"{row['service']}: oldest unpublished event waits {row['oldest_age_seconds']} s "
        f"(limit {limit:g} s: past the duplicate window a re-publish is no longer deduplicated)"
        for row in outboxes
        if row.get("unpublished") and row["oldest_age_seconds"] > limit
    ]
    if "error" in stream:
        problems.append(str(stream["error"]))
    out.set(outbox=outboxes, jetstream=stream, problems=problems)
    if not out.as_json:
        out.say("outbox (unpublished events, age of the oldest):")
        for row in outboxes:
            detail = row.get("error") or f"{row['unpublished']}, {row['oldest_age_seconds']} s"
            out.say(f"  {row['service']:<11} {detail}")
        if "error" not in stream:
            out.say(f"stream {stream['stream']}: {stream['messages']} messages")
            out.say("  consumer                 pending  ack-pending  redelivered")
            for consumer in stream["consumers"]:
                out.say(
                    f"  {consumer['name']:<24} {consumer['pending']:>7}  "
                    f"{consumer['ack_pending']:>11}  {consumer['redelivered']:>11}"
                )
        for problem in problems:
            out.say(f"problem: {problem}")
    return FOUND if problems else OK


async def _backup(options: argparse.Namespace, out: Answer) -> int:
    if options.command != "backup" and not options.backup.is_dir():
        raise UsageError(f"{options.backup} is not a backup directory")
    try:
        key = backups.load_key(options.key_file)
    except backups.BackupError as error:
        raise UsageError(str(error)) from None
    platform = service_settings("agreements")
    if options.command == "backup-verify":
        return _verify_backup(options.backup, key, out)
    services = options.service or DATA_SERVICES
    targets = [
        # As the migration role: a restore drops and creates the tables it owns.
        backups.Target(name, settings.migration_url, settings.database_schema)
        for name, settings in ((name, service_settings(name)) for name in services)
    ]
    nats_url = None if options.no_stream else platform.nats_url
    if options.command == "backup":
        with out.progress("backup", len(targets) + (1 if nats_url else 0)) as advance:
            directory = await backups.backup(
                targets,
                key=key,
                into=options.into,
                nats_url=nats_url,
                stream=platform.stream_name,
                step=lambda name: advance(description=f"backed up {name}"),
            )
        out.say(f"backup written to {directory}")
        out.set(backup=str(directory))
        return OK
    if not options.yes:
        raise UsageError(
            "restore replaces every database's tables: stop the services, then pass --yes"
        )
    return await _restore(options.backup, key, targets, nats_url, services, out)


def _verify_backup(backup: Path, key: bytes, out: Answer) -> int:
    """Every part of a backup checked against its manifest, nothing restored."""
    parts = len(backups.read_manifest(backup, key)["parts"])
    with out.progress("verify", parts) as advance:
        manifest = backups.verify(
            backup, key, step=lambda name: advance(description=f"verified {name}")
        )
    out.say(f"{backup}: {len(manifest['parts'])} parts verify")
    out.set(backup=str(backup), parts=[part["name"] for part in manifest["parts"]])
    return OK


async def _restore(
    backup: Path,
    key: bytes,
    targets: list[backups.Target],
    nats_url: str | None,
    services: Sequence[str],
    out: Answer,
) -> int:
    """Every part verified, then the ones asked for restored; a restored PostgreSQL database is
    migrated again so that its service's role gets its rights back."""
    parts = len(backups.read_manifest(backup, key)["parts"])
    with out.progress("restore", 2 * parts) as advance:
        manifest = await backups.restore(
            backup,
            targets,
            key=key,
            nats_url=nats_url,
            only=services,
            step=lambda name: advance(description=name),
        )
    for part in manifest["parts"]:
        if part["kind"] == "postgres":
            # pg_restore recreated the tables as the migration role, without grants: the upgrade
            # grants the service's own role its rights again (shared/database_roles.py).
            await _migrated(part["service"])
        restored = f" ({part['restored']} messages)" if "restored" in part else ""
        out.say(f"restored {part['name']}{restored}")
    out.set(
        restored=[
            {"part": part["name"], "messages": part.get("restored")} for part in manifest["parts"]
        ]
    )
    return OK


def main() -> None:
    # Logs go to stderr: stdout is the answer (one JSON document with --json).
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    sys.exit(asyncio.run(run(sys.argv[1:])))


if __name__ == "__main__":
    main()
