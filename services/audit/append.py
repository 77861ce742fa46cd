"""Appending prepared rows to the audit tables, the cheapest way each database offers.

The consumer builds every row of a batch itself (JSON columns already serialised with orjson), so
the insert skips SQLAlchemy's per-row parameter processing: on SQLite one ``executemany`` through
the driver, on PostgreSQL one ``COPY`` through asyncpg. Both run inside the session's transaction,
so the entries commit with the inbox claims and the tree, or not at all. A duplicate key is raised
as SQLAlchemy's ``IntegrityError``, as an ORM insert would (the batch consumer treats it as a race
with another replica).
"""

from collections.abc import Callable, Sequence
from typing import Any

import asyncpg
import orjson
from sqlalchemy import JSON, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

Row = tuple[Any, ...]
_Convert = Callable[[Any], Any]


def _json_text(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


class Appender:
    """Inserts rows of ``columns`` (values in that order, as Python values) into ``table``."""

    def __init__(self, table: Table, columns: Sequence[str]) -> None:
        self.table = table
        self.columns = tuple(columns)
        self._prepared: dict[str, tuple[str, tuple[tuple[int, _Convert], ...]]] = {}

    def _for(self, dialect: Dialect) -> tuple[str, tuple[tuple[int, _Convert], ...]]:
        """The insert statement and the value conversions this dialect's driver needs."""
        prepared = self._prepared.get(dialect.name)
        if prepared is None:
            conversions: list[tuple[int, _Convert]] = []
            for position, name in enumerate(self.columns):
                column_type = self.table.c[name].type
                if isinstance(column_type, JSON):
                    conversions.append((position, _json_text))
                    continue
                # The type's own bind processor (SQLite's text datetimes and hex UUIDs), so the
                # stored values are exactly what an ORM insert stores.
                processor = column_type.dialect_impl(dialect).bind_processor(dialect)
                if processor is not None:
                    conversions.append((position, processor))
            statement = str(
                self.table.insert().compile(dialect=dialect, column_keys=list(self.columns))
            )
            prepared = (statement, tuple(conversions))
            self._prepared[dialect.name] = prepared
        return prepared

    async def insert(self, session: AsyncSession, rows: Sequence[Row]) -> None:
        if not rows:
            return
        connection = await session.connection()
        if connection.dialect.name == "postgresql":
            await self._copy(connection, rows)
            return
        statement, conversions = self._for(connection.dialect)
        if conversions:
            converted: list[Row] = []
            for row in rows:
                values = list(row)
                for position, convert in conversions:
                    values[position] = convert(values[position])
                converted.append(tuple(values))
            rows = converted
        await connection.exec_driver_sql(statement, list(rows))

    async def _copy(self, connection: AsyncConnection, rows: Sequence[Row]) -> None:
        """PostgreSQL: one ``COPY ... FROM STDIN (FORMAT binary)`` in the open transaction."""
        json_positions = [
            position
            for position, name in enumerate(self.columns)
            if isinstance(self.table.c[name].type, JSON)
        ]
        if json_positions:
            converted: list[Row] = []
            for row in rows:
                values = list(row)
                for position in json_positions:
                    values[position] = _json_text(values[position])
                converted.append(tuple(values))
            rows = converted
        raw = await connection.get_raw_connection()
        driver: asyncpg.Connection = raw.driver_connection
        if not driver.is_in_transaction():  # the adapter begins on its first statement
            await connection.exec_driver_sql("SELECT 1")
        try:
            await driver.copy_records_to_table(
                self.table.name, records=rows, columns=list(self.columns)
            )
        except asyncpg.UniqueViolationError as error:
            raise IntegrityError(f"COPY {self.table.name}", None, error) from error
