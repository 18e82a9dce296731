"""Engine construction from a DATABASE_URL: asyncpg for PostgreSQL, aiosqlite (WAL) for SQLite."""

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy.exc
from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from sqlalchemy.util.concurrency import in_greenlet

from adapters.sql.aiosqlite_stop import stop_at_most_once
from adapters.sql.fair_pool import FairAsyncAdaptedQueuePool

READ_ONLY = "wallet_orchestrator_read_only"
"""Execution option for connections that only read: on SQLite they take no write lock."""
NO_BEGIN = "wallet_orchestrator_no_begin"
"""Execution option (SQLite): no BEGIN is sent, so each statement runs on its own."""
AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}
"""Execution options for a connection whose statements each run on their own, in no
transaction: no BEGIN and no ROLLBACK round trip (PostgreSQL), no lock held between them."""

_DRIVERS = {
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}


# For PgBouncer in transaction pooling mode before 1.21: consecutive transactions of one client
# connection may run on different server connections, and a server connection serves many
# clients. SQLAlchemy's asyncpg dialect prepares every statement (it needs the result's columns),
# so prepared statements cannot be avoided, only kept from outliving the statement: with both
# caches off, asyncpg (0.29 and newer) prepares each one as the unnamed statement and parses it
# again with its Bind and Execute. Nothing named is left on a server connection for a later
# transaction to miss or for another client to collide with.
_UNNAMED_STATEMENTS: dict[str, Any] = {
    "prepared_statement_cache_size": 0,  # SQLAlchemy's cache of prepared statements
    "statement_cache_size": 0,  # asyncpg's: 0 also makes its statements unnamed
}


@dataclass(frozen=True, slots=True)
class PoolSettings:
    """Connection pool size and how long to wait for a connection (seconds); whether prepared
    statements are named and cached per connection (PostgreSQL, PgBouncer in session mode) or
    unnamed and used once (PgBouncer in transaction mode).
    """

    size: int = 16
    """Enough that the requests a worker serves at once rarely wait for a connection: a wait
    suspends the whole request's coroutine stack once more (about a tenth of a GET's CPU).
    """
    acquire_timeout: float = 5.0
    connect_timeout: float = 5.0
    sqlite_busy_timeout_ms: int = 5000
    cache_statements: bool = True


def async_url(database_url: str) -> URL:
    """The URL with its async driver: postgresql:// → asyncpg, sqlite:// → aiosqlite."""
    url = make_url(database_url)
    driver = _DRIVERS.get(url.drivername)
    if driver is None and url.drivername not in _DRIVERS.values():
        raise ValueError(f"unsupported database URL scheme {url.drivername!r}")
    return url.set(drivername=driver) if driver else url


def create_engine(
    database_url: str, pool: PoolSettings = PoolSettings(), *, autocommit: bool = False
) -> AsyncEngine:
    """One engine per process; the unit of work takes connections from its pool.

    `autocommit` (PostgreSQL; SQLite ignores it): every pooled connection is in AUTOCOMMIT from
    the moment it opens, so SQLAlchemy sends no BEGIN of its own. That is how the units of work
    use them (pg_direct: they send BEGIN and COMMIT through asyncpg themselves), and a checkout
    then switches nothing on the way out of the pool and back (some 12 µs of CPU each). Whoever
    wants SQLAlchemy's own transaction on such a connection sets its isolation level on it
    first, as `migrate` does.
    """
    url = async_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, pool)
    isolation = {"isolation_level": AUTOCOMMIT["isolation_level"]} if autocommit else {}
    engine = create_async_engine(
        url,
        **isolation,
        poolclass=FairAsyncAdaptedQueuePool,
        pool_size=pool.size,
        max_overflow=0,
        pool_timeout=pool.acquire_timeout,
        # No pre-ping: it costs three round trips per checkout, and SQLAlchemy's asyncpg ping
        # rolls back in a `finally` after a cancelled probe, which hangs on a dead network past
        # any deadline. The checkout listener below drops connections the server has closed,
        # for free; one that dies silently fails its request (503) within the deadline.
        pool_pre_ping=False,
        connect_args=_asyncpg_connect_args(pool),
        hide_parameters=True,
    )

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        # A socket the server (or the network) has closed is known to the driver already.
        # Raising DisconnectionError makes the pool discard it and hand out another.
        driver_connection = record.driver_connection
        if driver_connection is not None and driver_connection.is_closed():
            raise sqlalchemy.exc.DisconnectionError

    @event.listens_for(engine.sync_engine, "do_connect")
    def _only_in_greenlet(*_: Any) -> None:
        # pg_direct takes pooled connections outside SQLAlchemy's greenlet when one is idle; one
        # that must be opened again makes the pool try to connect, which awaits. Refused here,
        # before asyncpg's connect() is called (a coroutine that would never be awaited), the
        # checkout fails with the pool as it was, and pg_direct takes the greenlet's way.
        if not in_greenlet():
            raise sqlalchemy.exc.MissingGreenlet("a connection is opened only in the greenlet")

    @event.listens_for(engine.sync_engine, "invalidate")
    def _on_invalidate(_dbapi_connection: Any, record: Any, _error: BaseException | None) -> None:
        # SQLAlchemy then closes an invalidated connection politely, waiting up to 2 s for the
        # server; when the network is gone that wait would outlast the request's deadline.
        # Abort the socket first, so that close finds nothing left to wait for.
        driver_connection = record.driver_connection
        if driver_connection is not None and not driver_connection.is_closed():
            driver_connection.terminate()

    return engine


SQLITE_STATEMENT_BY_STATEMENT = {READ_ONLY: True, NO_BEGIN: True}
"""The execution options of a SQLite connection that only reads, each statement on its own: no
BEGIN, its driver left as it is (the connection is in autocommit already, see _sqlite_engine);
switching its isolation level would cost a PRAGMA and a rollback on the way back to the pool.
(On PostgreSQL, pg_direct.DirectConnection does the same with AUTOCOMMIT and no BEGIN.)"""


def one_off_engine(url: URL, pool: PoolSettings) -> AsyncEngine:
    """An engine without a pool, each connection closed after use, with the pool's driver
    options (prepared-statement mode, connect timeout): for a read outside the pool.
    """
    if url.get_backend_name() == "sqlite":
        stop_at_most_once()
        return create_async_engine(url, poolclass=NullPool, hide_parameters=True)
    return create_async_engine(
        url, poolclass=NullPool, connect_args=_asyncpg_connect_args(pool), hide_parameters=True
    )


def _asyncpg_connect_args(pool: PoolSettings) -> dict[str, Any]:
    connect_args: dict[str, Any] = {"timeout": pool.connect_timeout}
    if not pool.cache_statements:
        connect_args.update(_UNNAMED_STATEMENTS)
    return connect_args


def _sqlite_engine(url: URL, pool: PoolSettings) -> AsyncEngine:
    stop_at_most_once()
    engine = create_async_engine(
        url,
        poolclass=FairAsyncAdaptedQueuePool,
        pool_size=pool.size,
        max_overflow=0,
        pool_timeout=pool.acquire_timeout,
        # A Connection closed in a transaction rolls it back itself; one closed after its commit
        # needs no rollback: the pool's own reset would be one more trip to the driver's thread.
        pool_reset_on_return=None,
        connect_args={"timeout": pool.sqlite_busy_timeout_ms / 1000},
        hide_parameters=True,
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from the driver so BEGIN IMMEDIATE below is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(pool.sqlite_busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take the write lock up front: a deferred read that later writes can fail with
        # "database is locked" instead of waiting out busy_timeout. Readers (WAL) need no lock;
        # in autocommit they need no transaction either.
        options = connection.get_execution_options()
        if options.get(NO_BEGIN) or options.get("isolation_level") == AUTOCOMMIT["isolation_level"]:
            return
        connection.exec_driver_sql("BEGIN" if options.get(READ_ONLY, False) else "BEGIN IMMEDIATE")

    return engine


async def warm_pool(engine: AsyncEngine, connections: int, seconds_each: float) -> int:
    """Open up to `connections` pooled connections at once and return them to the pool, so the
    first requests after a start do not each pay a connection set-up. Best effort: a database
    that is down or slow only leaves the pool colder; returns how many connections were opened.
    """
    opened = await asyncio.gather(*(answers(engine, seconds_each) for _ in range(connections)))
    return sum(opened)


async def answers(engine: AsyncEngine, seconds: float) -> bool:
    """Whether a pooled connection answers `SELECT 1` within `seconds` (a read: on SQLite it
    takes no write lock). Any failure is a no, never an exception.
    """
    try:
        async with asyncio.timeout(seconds), engine.connect() as connection:
            await connection.execution_options(**{READ_ONLY: True})
            await connection.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "does not answer"
        return False
    return True


def read_only_engine(url: URL, connect_timeout: float) -> AsyncEngine:
    """An engine that cannot write, with no pool to keep, for inspection (`doctor`). Not
    create_engine: its SQLite connections switch the file to WAL, which is a write.
    """
    if url.get_backend_name() == "sqlite":
        # mode=rw never creates the file; mode=ro would leave -wal and -shm files behind.
        path = quote(str(Path(str(url.database)).resolve()))
        engine = create_async_engine(
            url.set(database=f"file:{path}", query={"mode": "rw", "uri": "true"}),
            poolclass=NullPool,
        )
        event.listen(engine.sync_engine, "connect", _query_only)
        return engine
    return create_async_engine(
        url,
        poolclass=NullPool,
        hide_parameters=True,
        connect_args={
            "timeout": connect_timeout,
            "server_settings": {"default_transaction_read_only": "on"},
        },
    )


def _query_only(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only = ON")
    cursor.close()


class SqlReadinessCheck:
    """Whether the database answers `SELECT 1` within the timeout."""

    def __init__(self, engine: AsyncEngine, timeout: float) -> None:
        self._engine = engine
        self._timeout = timeout

    async def __call__(self) -> bool:
        return await answers(self._engine, self._timeout)
