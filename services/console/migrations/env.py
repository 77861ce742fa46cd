"""Alembic environment of the console database (run through shared.migrations)."""

from alembic import context

from services.console.migrations import TABLES
from shared.migrations import run_environment

run_environment(context, TABLES)
