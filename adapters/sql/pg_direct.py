"""The hot path's statements on PostgreSQL sent through asyncpg itself, on the unit of work's
own pooled connection: SQLAlchemy spends about as much CPU again as asyncpg on each statement it
runs (bench/driver_overhead.py), and a creation, a replay or a GET is two or three of them.

What stays SQLAlchemy's: the pool (checkout, deadlines, invalidation of dead connections), the
schema, and every other statement, which runs on the same connection and so in the same
transaction. The statements here are SQLAlchemy statements compiled once for asyncpg (their text
and the order of their parameters), so the schema is still written in one place.
"""

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
from sqlalchemy import Connection, Engine
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.exc import MissingGreenlet
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import greenlet_spawn

from adapters.sql.engine import AUTOCOMMIT
from adapters.sql.fair_pool import FairAsyncAdaptedQueuePool

_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]


@dataclass(frozen=True, slots=True)
class DirectStatement:
    """A statement's SQL text for asyncpg ($1, $2, ...) and its parameters' names in order."""

    sql: str
    parameters: tuple[str, ...]

    @classmethod
    def of(cls, statement: ClauseElement) -> "DirectStatement":
        compiled = cast("SQLCompiler", statement.compile(dialect=_DIALECT))
        return cls(str(compiled), tuple(compiled.positiontup or ()))

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        return [values[name] for name in self.parameters]


class DirectConnection:
    """asyncpg's connection under one pooled SQLAlchemy connection, running DirectStatements;
    and on it, the unit of work's transaction (BEGIN, COMMIT, ROLLBACK sent by asyncpg too).
    SQLAlchemy's own statements on that connection run in AUTOCOMMIT: it leaves the transaction
    alone, and they run inside it.
    """

    def __init__(self, driver: asyncpg.Connection) -> None:
        self._driver = driver

    @classmethod
    async def checkout(cls, engine: AsyncEngine) -> tuple[AsyncConnection, "DirectConnection"]:
        """A connection from the engine's pool with SQLAlchemy's transaction control turned off,
        and its driver. Taken at once when the pool has one ready. When every connection is
        out, the wait in line for one is awaited here too (FairAsyncAdaptedQueuePool), and the
        one handed over is taken at once. Else (the pool must open a connection, or open again
        the one handed over) in one pass through SQLAlchemy's greenlet, where it can await: each
        pass costs about as much CPU as the checkout itself.
        """
        sync_engine = engine.sync_engine
        checked_out = _checkout_at_once(sync_engine)
        if checked_out is None:
            pool = sync_engine.pool
            if isinstance(pool, FairAsyncAdaptedQueuePool) and pool.exhausted():
                handed = await pool.wait_for_checkin()
                if _open(handed):
                    checked_out = _checkout_at_once(sync_engine)
        if checked_out is None:
            checked_out = await greenlet_spawn(_checkout_autocommit, sync_engine)
        connection, driver = checked_out
        return AsyncConnection(engine, connection), cls(driver)

    def checkin_at_once(self, connection: AsyncConnection) -> bool:
        """Give a connection back to the pool without SQLAlchemy's greenlet, when nothing is left
        to roll back (no transaction on the server, none begun by SQLAlchemy): True if done. An
        AUTOCOMMIT set at its checkout is turned off again as it goes back, which awaits nothing
        (on an engine in `autocommit` there is none to turn off).
        """
        sync_connection = connection.sync_connection
        if (
            sync_connection is None
            or sync_connection.in_transaction()
            or self._driver.is_in_transaction()
        ):
            return False
        sync_connection.close()
        return True

    async def fetchrow(
        self, statement: DirectStatement, values: Mapping[str, Any]
    ) -> asyncpg.Record | None:
        return await self._driver.fetchrow(statement.sql, *statement.arguments(values))

    async def begin(self) -> None:
        await self._driver.execute("BEGIN")

    async def commit(self) -> None:
        await self._driver.execute("COMMIT")

    async def rollback_if_open(self) -> None:
        """Roll back a transaction still open (as the server last said): none may go back to
        the pool, where SQLAlchemy's own reset no longer sees it.
        """
        if self._driver.is_in_transaction():
            await self._driver.execute("ROLLBACK")


def _open(entry: ConnectionPoolEntry) -> bool:
    """Whether a pooled connection can be taken without opening it again: else the checkout
    outside the greenlet would fail and put it back, handing it to the next in line.
    """
    driver = entry.driver_connection
    return driver is not None and not driver.is_closed()


def _checkout_at_once(engine: Engine) -> tuple[Connection, asyncpg.Connection] | None:
    """The checkout outside SQLAlchemy's greenlet, or None where it would have to await: when no
    pooled connection is idle, or when the one handed over must be opened again (it was
    invalidated, or the server closed it). SQLAlchemy puts such a connection back as it was
    before raising MissingGreenlet (engine.py makes sure that no connection attempt starts
    outside the greenlet), and the caller takes the greenlet's way.
    """
    pool = engine.pool
    if not isinstance(pool, QueuePool) or pool.checkedin() == 0:
        return None
    try:
        return _checkout_autocommit(engine)
    except MissingGreenlet:
        return None


def _checkout_autocommit(engine: Engine) -> tuple[Connection, asyncpg.Connection]:
    """Runs inside SQLAlchemy's greenlet, or outside it when nothing awaits (_checkout_at_once).
    A connection that fails after its checkout is invalidated and handed back, as
    unit_of_work's `_discard` does with the greenlet.
    """
    connection = engine.connect()
    try:
        adapted = connection.connection.dbapi_connection
        if adapted is None or not adapted.autocommit:  # else the engine's `autocommit` did it
            connection.execution_options(**AUTOCOMMIT)
        driver = connection.connection.driver_connection
    except BaseException:
        with contextlib.suppress(Exception):
            connection.invalidate()
        with contextlib.suppress(Exception):
            connection.close()
        raise
    return connection, driver


DIRECT_ERRORS: tuple[type[BaseException], ...] = (asyncpg.PostgresError, asyncpg.InterfaceError)
"""asyncpg's own errors, which reach the unit of work unwrapped by SQLAlchemy."""
