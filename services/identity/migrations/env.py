"""Alembic environment of the identity database (run through shared.migrations)."""

from alembic import context

from services.identity.migrations import TABLES
from shared.migrations import run_environment

run_environment(context, TABLES)
