"""The identity database's Alembic migrations; ``TABLES`` is what they migrate to.

The service upgrades its database on start-up; ``pactum migrate identity`` does it by hand.
A model change needs a revision: ``python -m deploy.migrations identity revision -m "..."``
drafts one against a database at head; review it by hand before committing.
tests/operations/test_migrations.py fails until the revisions and the models agree.
"""

from pathlib import Path

from services.identity.store import TABLES
from shared.migrations import register

# Found by shared/migrations.py from here: shared/ loads no service by name.
MIGRATIONS = register("identity", directory=Path(__file__).parent, tables=TABLES)

__all__ = ["MIGRATIONS", "TABLES"]
