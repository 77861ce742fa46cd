"""Least privilege in the databases (issue 15 item 6, TOM-T5): on PostgreSQL a service runs as a
role that owns nothing.

Each service's database has two roles. The *migration role*
(``PACTUM_<SERVICE>_MIGRATION_DATABASE_URL``) owns the schema, the tables, their sequences and the
audit log's append-only triggers; only it runs DDL: the start-up upgrade, ``pactum migrate``,
backup and restore. The *service role* (``PACTUM_<SERVICE>_DATABASE_URL``) is what the service
connects as while it runs: it may use the schema and do on each table only what the service does
there (:class:`RuntimeRights`, declared beside each service's migrations), and read the revision
table. It owns nothing, so it can neither ALTER, DROP nor TRUNCATE a table nor drop or disable a
trigger; the audit service's role cannot UPDATE or DELETE a log entry either.

Every upgrade grants the rights again (:func:`grant_runtime_rights`, in the upgrade's transaction):
it revokes what the role holds in the schema and grants the declared rights, so the result is the
same however often it runs and a right taken out of the declaration is taken from the role.
Default privileges give tables a later revision creates the service's default rights until then.

SQLite has no roles: ``make run`` keeps one file per service and nothing here runs.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import structlog
from sqlalchemy import Connection, text

log = structlog.get_logger("pactum.database_roles")

READ_WRITE = ("SELECT", "INSERT", "UPDATE", "DELETE")
APPEND = ("SELECT", "INSERT")
PRIVILEGES = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"})


@dataclass(frozen=True)
class RuntimeRights:
    """What a service's runtime role may do to its tables: ``tables`` names the exceptions,
    ``default`` holds for every other table of the service and for tables created later."""

    default: Sequence[str] = READ_WRITE
    tables: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for rights in (self.default, *self.tables.values()):
            if unknown := set(rights) - PRIVILEGES:
                raise ValueError(f"not a table privilege a service may hold: {sorted(unknown)}")

    def of(self, table: str) -> Sequence[str]:
        return self.tables.get(table, self.default)


def grant_runtime_rights(
    connection: Connection,
    *,
    role: str,
    tables: Iterable[str],
    rights: RuntimeRights,
    version_table: str | None = None,
) -> bool:
    """Grant ``role`` exactly ``rights`` on ``tables`` in the connection's current schema, as that
    schema's owner (the migration role). False, and nothing done, when the connection is itself
    ``role`` (one role for both: how a database without a migration URL runs)."""
    current_user, schema = connection.execute(text("SELECT current_user, current_schema()")).one()
    if role == current_user:
        return False
    if schema is None:
        raise RuntimeError("the search path names no existing schema to grant rights in")
    quote = connection.dialect.identifier_preparer.quote
    grantee, where = quote(role), quote(schema)
    statements = [
        # Only its owner creates in the schema (PostgreSQL < 15 lets PUBLIC create in public).
        f"REVOKE CREATE ON SCHEMA {where} FROM PUBLIC",
        f"REVOKE CREATE ON SCHEMA {where} FROM {grantee}",
        f"GRANT USAGE ON SCHEMA {where} TO {grantee}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {where} FROM {grantee}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {where} FROM {grantee}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {grantee}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {where} REVOKE ALL ON TABLES FROM {grantee}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {where} "
        f"GRANT {', '.join(rights.default)} ON TABLES TO {grantee}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {where} GRANT USAGE, SELECT ON SEQUENCES TO {grantee}",
    ]
    if version_table is not None:  # the revision, read by the service, written by migrations
        statements.append(f"GRANT SELECT ON TABLE {where}.{quote(version_table)} TO {grantee}")
    statements += [
        f"GRANT {', '.join(rights.of(table))} ON TABLE {where}.{quote(table)} TO {grantee}"
        for table in sorted(tables)
        if rights.of(table)
    ]
    for statement in statements:
        connection.execute(text(statement))
    log.info("database.runtime_rights_granted", role=role, schema=schema)
    return True
