"""Alembic environment of the audit database (run through shared.migrations)."""

from alembic import context

from services.audit.migrations import TABLES
from shared.migrations import run_environment

run_environment(context, TABLES)
