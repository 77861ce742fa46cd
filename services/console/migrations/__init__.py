"""The console database's Alembic migrations; ``TABLES`` is what they migrate to.

The console upgrades its database on start-up; ``pactum migrate console`` does it by hand.
"""

from services.console.store import TABLES

__all__ = ["TABLES"]
