"""Read-only inspection of a database (for `doctor`): whether it answers, and where its schema
stands against this release's migrations. Findings come back as values of our own, with the
driver's errors already put into words, so the caller never sees SQLAlchemy or a driver.

Nothing here writes: connections come from `read_only_engine` (SQLite opened `mode=rw`, which
never creates a missing file, with `PRAGMA query_only`; PostgreSQL in read-only transactions).
"""

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

import sqlalchemy.exc
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.engine import async_url, read_only_engine
from adapters.sql.migrate import MigrationState, migration_state


@dataclass(frozen=True, slots=True)
class SqliteInMemory:
    """DATABASE_URL names an in-memory SQLite database: every connection gets a new, empty one."""


@dataclass(frozen=True, slots=True)
class SqliteFileMissing:
    """DATABASE_URL names a SQLite file that does not exist (it was not created)."""

    path: Path


@dataclass(frozen=True, slots=True)
class Unreachable:
    """The database did not answer SELECT 1; `reason` is one line, without the password."""

    reason: str


@dataclass(frozen=True, slots=True)
class SchemaUnreadable:
    """The database answered but its schema version could not be read; `reason` as above."""

    reason: str


@dataclass(frozen=True, slots=True)
class Reached:
    """The database answered SELECT 1 in `answered_ms`; where its schema stands, or why that
    could not be read.
    """

    answered_ms: float
    schema: MigrationState | SchemaUnreadable


NotReached: TypeAlias = SqliteInMemory | SqliteFileMissing | Unreachable
DatabaseReport: TypeAlias = NotReached | Reached


async def inspect_database(
    database_url: str, connect_timeout: float, query_timeout: float
) -> DatabaseReport:
    """Whether the database answers SELECT 1 within `connect_timeout` (and a second), then its
    migration state, read within `query_timeout`. Never writes, and never raises for what it
    finds: a database that is missing, down or unreadable is a report, not an exception.
    """
    url = async_url(database_url)
    missing = _missing_sqlite_file(url)
    if missing is not None:
        return missing
    engine = read_only_engine(url, connect_timeout)
    try:
        answered = await _answer_time_ms(engine, connect_timeout + 1, database_url)
        if isinstance(answered, Unreachable):
            return answered
        return Reached(answered, await _schema(engine, query_timeout, database_url))
    finally:
        await engine.dispose()


def masked_url(database_url: str) -> str:
    """The URL with its password, if any, replaced by ***."""
    return make_url(database_url).render_as_string(hide_password=True)


def _missing_sqlite_file(url: URL) -> SqliteInMemory | SqliteFileMissing | None:
    if url.get_backend_name() != "sqlite":
        return None
    if url.database in {None, "", ":memory:"}:
        return SqliteInMemory()
    path = Path(str(url.database)).resolve()
    return None if path.is_file() else SqliteFileMissing(path)


async def _answer_time_ms(
    engine: AsyncEngine, bound: float, database_url: str
) -> float | Unreachable:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(bound), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except TimeoutError:
        return Unreachable(f"no answer within {bound:g} s")
    except Exception as error:  # noqa: BLE001 - any failure to connect is the finding
        return Unreachable(_describe(error, database_url))
    return (time.perf_counter() - started) * 1000


async def _schema(
    engine: AsyncEngine, seconds: float, database_url: str
) -> MigrationState | SchemaUnreadable:
    try:
        async with asyncio.timeout(seconds), engine.connect() as connection:
            return await migration_state(connection)
    except Exception as error:  # noqa: BLE001 - reported, like any other finding
        return SchemaUnreadable(_describe(error, database_url))


def _describe(error: BaseException, database_url: str) -> str:
    """The driver's own error, on one line, without the password even if a driver repeated it."""
    cause: BaseException = error
    if isinstance(error, sqlalchemy.exc.DBAPIError) and error.orig is not None:
        cause = error.orig.__cause__ or error.orig  # the driver's exception, not its DBAPI wrap
    lines = str(cause).strip().splitlines()
    described = f"{type(cause).__name__}: {lines[0]}" if lines else type(cause).__name__
    password = make_url(database_url).password
    return described.replace(str(password), "***") if password else described
