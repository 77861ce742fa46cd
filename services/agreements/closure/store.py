"""What the end of processing leaves behind: the signed certificate of what was returned or
destroyed (DPA-13) and the record of each export taken (DPA-4b)."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field, SQLModel


def _moment(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class Certificate(SQLModel, table=True):
    """The signed statement of what was returned or destroyed at the end (DPA-13)."""

    __tablename__ = "destruction_certificate"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agreement_id: uuid.UUID = Field(foreign_key="agreement.id", unique=True)
    statement: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    signature: str = Field(max_length=200)
    key_id: str = Field(max_length=100)
    issued_at: datetime = _moment(nullable=False)


class Export(SQLModel, table=True):
    """That an export of the agreement was taken, by whom, and its archive's hash."""

    __tablename__ = "agreement_export"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agreement_id: uuid.UUID = Field(foreign_key="agreement.id", index=True)
    sha256: str = Field(max_length=64)
    exported_by: str = Field(max_length=200)
    exported_at: datetime = _moment(nullable=False)


TABLES: tuple[Any, ...] = (
    Certificate.__table__,  # type: ignore[attr-defined]
    Export.__table__,  # type: ignore[attr-defined]
)
