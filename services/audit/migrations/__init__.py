"""The audit database's Alembic migrations; ``TABLES`` is what they migrate to.

The service upgrades its database on start-up; ``pactum migrate audit`` does it by hand.
A model change needs a revision: ``python -m deploy.migrations audit revision -m "..."``
drafts one against a database at head; review it by hand before committing.
tests/operations/test_migrations.py fails until the revisions and the models agree.

``RUNTIME_RIGHTS``: what the service's own role may do on PostgreSQL (shared/database_roles.py).
The log's entries, subtree hashes and checkpoints are only read and appended to, whatever the
triggers say; the projections and the frontier change but are never deleted (erasure destroys a
seal key's material, it keeps the row); a table a later revision adds is append-only until it is
named here.
"""

from pathlib import Path

from services.audit.store import APPEND_ONLY, TABLES
from shared.database_roles import APPEND, READ_WRITE, RuntimeRights
from shared.migrations import register

CHANGING = ("SELECT", "INSERT", "UPDATE")

RUNTIME_RIGHTS = RuntimeRights(
    default=APPEND,
    tables={
        **{table.name: APPEND for table in APPEND_ONLY},
        "audit_tree": CHANGING,
        "audit_seal_key": CHANGING,
        "audit_agreement": CHANGING,
        "audit_organisation": CHANGING,
        # Partition leases and live replicas: renewed, and a replica gone for long is deleted.
        "audit_partition_lease": CHANGING,
        "audit_replica": READ_WRITE,
        # Every service's own: the outbox, the inbox and replayed answers, pruned when old.
        "outbox": READ_WRITE,
        "inbox": READ_WRITE,
        "idempotent_request": READ_WRITE,
    },
)
# Found by shared/migrations.py from here: shared/ loads no service by name.
MIGRATIONS = register(
    "audit", directory=Path(__file__).parent, tables=TABLES, rights=RUNTIME_RIGHTS
)

__all__ = ["MIGRATIONS", "RUNTIME_RIGHTS", "TABLES"]
