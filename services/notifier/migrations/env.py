"""Alembic environment of the notifier database (run through shared.migrations)."""

from alembic import context

from services.notifier.migrations import TABLES
from shared.migrations import run_environment

run_environment(context, TABLES)
