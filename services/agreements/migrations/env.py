"""Alembic environment of the agreements database (run through shared.migrations)."""

from alembic import context

from services.agreements.migrations import TABLES
from shared.migrations import run_environment

run_environment(context, TABLES)
