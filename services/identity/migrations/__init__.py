"""The identity database's Alembic migrations; ``TABLES`` is what they migrate to.

The service upgrades its database on start-up; ``pactum migrate identity`` does it by hand.
A model change needs a revision: ``python -m shared.migrations identity revision -m "..."``
drafts one against a database at head; review it by hand before committing.
tests/operations/test_migrations.py fails until the revisions and the models agree.
"""

from services.identity.store import TABLES

__all__ = ["TABLES"]
