"""The audit log's table and queries. Entries are appended, never updated or deleted.

The database itself refuses UPDATE and DELETE on ``audit_entry`` (ASVS 16.4.2): a trigger on SQLite
and on PostgreSQL, installed with the table.
"""

import uuid
from datetime import datetime

from sqlalchemy import DDL, JSON, Column, DateTime, Index, event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_org_position", "organisation_id", "position"),)

    position: int | None = Field(default=None, primary_key=True)
    event_id: uuid.UUID = Field(unique=True)
    organisation_id: str = Field(max_length=36)
    event_type: str = Field(max_length=120)
    source: str = Field(max_length=60)
    subject: str | None = Field(default=None, max_length=200)
    actor_id: str = Field(max_length=200)
    actor_type: str = Field(max_length=20)
    actor_organisation_id: str | None = Field(default=None, max_length=36)
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    trace_id: str | None = Field(default=None, max_length=32)
    requirements: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    data: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


TABLES = (AuditEntry.__table__,)  # type: ignore[attr-defined]

_REFUSAL = "audit entries are append-only"

event.listen(
    AuditEntry.__table__,  # type: ignore[attr-defined]
    "after_create",
    DDL(  # type: ignore[no-untyped-call]
        f"""
        CREATE TRIGGER IF NOT EXISTS audit_entry_no_update BEFORE UPDATE ON audit_entry
        BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END;
        """
    ).execute_if(dialect="sqlite"),
)
event.listen(
    AuditEntry.__table__,  # type: ignore[attr-defined]
    "after_create",
    DDL(  # type: ignore[no-untyped-call]
        f"""
        CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete BEFORE DELETE ON audit_entry
        BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END;
        """
    ).execute_if(dialect="sqlite"),
)
_POSTGRES_GUARD = (
    f"""
    CREATE OR REPLACE FUNCTION audit_entry_refuse_change() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION '{_REFUSAL}'; END; $$ LANGUAGE plpgsql
    """,
    """
    CREATE OR REPLACE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
    ON audit_entry FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_refuse_change()
    """,
)
for statement in _POSTGRES_GUARD:
    event.listen(
        AuditEntry.__table__,  # type: ignore[attr-defined]
        "after_create",
        DDL(statement).execute_if(dialect="postgresql"),  # type: ignore[no-untyped-call]
    )


async def entries_for(
    *,
    session: AsyncSession,
    organisation_id: str,
    limit: int,
    before: int | None = None,
) -> list[AuditEntry]:
    """An organisation's entries, newest first, from just before ``before`` (a position)."""
    query = select(AuditEntry).where(col(AuditEntry.organisation_id) == organisation_id)
    if before is not None:
        query = query.where(col(AuditEntry.position) < before)
    query = query.order_by(col(AuditEntry.position).desc()).limit(limit)
    return list((await session.scalars(query)).all())
