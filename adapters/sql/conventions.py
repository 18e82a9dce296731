"""What every SQL repository shares: the seed schema's naive UTC timestamps, and the
dialect's own INSERT for ON CONFLICT (PostgreSQL and SQLite both have it).
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Insert, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def insert_for(connection: AsyncConnection, table: Table) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (both PostgreSQL and SQLite have it)."""
    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement: Insert = dialect_insert(table)
    return statement


def to_db(moment: datetime) -> datetime:
    """The seed stores naive UTC timestamps."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def from_db(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
