"""The console database's Alembic migrations; ``TABLES`` is what they migrate to.

The console upgrades its database on start-up; ``pactum migrate console`` does it by hand.
"""

from pathlib import Path

from services.console.store import TABLES
from shared.migrations import register

# Found by shared/migrations.py from here: shared/ loads no service by name.
MIGRATIONS = register("console", directory=Path(__file__).parent, tables=TABLES)

__all__ = ["MIGRATIONS", "TABLES"]
