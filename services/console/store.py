"""The console's one table: its sessions. Everything else lives in the four services.

A row is named by the SHA-256 of the cookie's value, so the database never holds a value that
opens a session. The refresh and access tokens, and a sign-in's pending challenge, are sealed
(AES-GCM under the console's key) before they are stored.
"""

from datetime import datetime

from sqlalchemy import Column, DateTime, Text
from sqlmodel import Field, SQLModel


def _when(nullable: bool = True) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=nullable)


class ConsoleSession(SQLModel, table=True):
    __tablename__ = "console_session"

    id: str = Field(primary_key=True, max_length=64)  # sha256 of the cookie value, hex
    stage: str = Field(max_length=20)  # see domain.Stage
    language: str = Field(default="", max_length=5)
    email: str = Field(default="", max_length=254)
    user_id: str = Field(default="", max_length=36)
    organisation_id: str = Field(default="", max_length=36, index=True)
    display_name: str = Field(default="", max_length=200)
    organisation_name: str = Field(default="", max_length=200)
    organisation_kind: str = Field(default="", max_length=20)
    roles: str = Field(default="", max_length=100)  # comma-separated
    identity_session_id: str = Field(default="", max_length=36, index=True)
    sealed_refresh: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    sealed_access: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    access_expires_at: datetime | None = Field(default=None, sa_column=_when())
    sealed_challenge: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    refreshing_until: datetime | None = Field(default=None, sa_column=_when())
    created_at: datetime = Field(sa_column=_when(False))
    last_seen_at: datetime = Field(sa_column=_when(False))
    expires_at: datetime = Field(sa_column=_when(False))


TABLES = (ConsoleSession.__table__,)  # type: ignore[attr-defined]
