"""The notifier database's Alembic migrations; ``TABLES`` is what they migrate to.

The service upgrades its database on start-up; ``pactum migrate notifier`` does it by hand.
A model change needs a revision: ``python -m deploy.migrations notifier revision -m "..."``
drafts one against a database at head; review it by hand before committing.
tests/operations/test_migrations.py fails until the revisions and the models agree.
"""

from pathlib import Path

from services.notifier.store import TABLES
from shared.migrations import register

# Found by shared/migrations.py from here: shared/ loads no service by name.
MIGRATIONS = register("notifier", directory=Path(__file__).parent, tables=TABLES)

__all__ = ["MIGRATIONS", "TABLES"]
