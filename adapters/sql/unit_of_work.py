"""UnitOfWork on a SQLAlchemy async engine: one connection, one transaction, one deadline."""

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Self

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sql.delivery_repository import OutboxWriter, SqlDeliveryRepository
from adapters.sql.engine import SQLITE_STATEMENT_BY_STATEMENT
from adapters.sql.escrow_repository import SqlEscrowRepository
from adapters.sql.failures import raise_if_unavailable, unavailable_as_store_error
from adapters.sql.idempotency_repository import SqlIdempotencyRepository
from adapters.sql.pg_direct import DIRECT_ERRORS, DirectConnection
from adapters.sql.pg_repositories import PgWalletRepository
from adapters.sql.policy_repositories import SqlPolicyRepository, SqlSpendingRepository
from adapters.sql.user_repository import SqlUserRepository
from adapters.sql.wallet_repositories import SqlWalletEventRepository, SqlWalletRepository

_CONNECTION_SUSPECT = (TimeoutError, asyncio.CancelledError, DBAPIError, OSError, *DIRECT_ERRORS)
"""Leaving by one of these, the connection may be mid-operation or dead: drop it, don't reuse it."""


class SqlUnitOfWork:
    """Takes a pooled connection and begins a transaction on enter; commit() commits it; leaving
    without commit, or by an exception, rolls it back. The connection goes back to the pool on
    exit either way, unless the exit was a timeout or a database error: then it is closed (the
    server rolls back) so that a connection in an unknown state is never reused.

    `on_connection`, if given, is told how many seconds each wait for a pooled connection took.

    Everything between enter and exit (waiting for a connection included) must finish within
    `timeout` seconds, else the operation in progress is cancelled: a database that stops
    answering fails a request, it does not hang it.

    A failure that says the database is unavailable (unreachable, too busy, connection lost, the
    deadline passed), in entering, in the block (statements, commit) or in leaving, leaves as
    StoreUnavailable once the connection is released (`waiting_for_connection` if the pool had
    not given one yet); any other error leaves as it is.

    With `webhook_endpoints`, every audit event written queues one delivery per endpoint in the
    same transaction; a commit that queued any then tells `on_queued` (the dispatcher's doorbell).

    `read_only`: the unit of work reads and never writes: its statements run each on its own
    (no BEGIN; on PostgreSQL no ROLLBACK either), and commit() raises. For the reads of GET
    requests.

    `autocommit` (PostgreSQL only): no transaction either, and each statement commits on its
    own, so only a write that is one statement is atomic in it (pg_creations' new wallets);
    commit() raises. Deliveries such a statement queued wake the dispatcher as the block ends
    without an error.

    On PostgreSQL the transaction (BEGIN, COMMIT, ROLLBACK) and the hot path's statements are
    sent by asyncpg itself (pg_direct), the other statements by SQLAlchemy on the same
    connection.
    """

    users: SqlUserRepository
    wallets: SqlWalletRepository
    events: SqlWalletEventRepository
    escrows: SqlEscrowRepository
    policies: SqlPolicyRepository
    spending: SqlSpendingRepository
    idempotency: SqlIdempotencyRepository
    deliveries: SqlDeliveryRepository

    def __init__(  # noqa: PLR0913 - the engine, its deadline, and options by name
        self,
        engine: AsyncEngine,
        timeout: float | None = None,
        on_connection: Callable[[float], None] | None = None,
        webhook_endpoints: Sequence[str] = (),
        on_queued: Callable[[], None] | None = None,
        *,
        read_only: bool = False,
        autocommit: bool = False,
    ) -> None:
        if autocommit and engine.dialect.name != "postgresql":
            raise ValueError("autocommit units of work are for PostgreSQL")
        self._engine = engine
        self._read_only = read_only
        self._autocommit = autocommit
        self._timeout = timeout
        self._on_connection = on_connection
        self._webhook_endpoints = webhook_endpoints
        self._on_queued = on_queued
        self._deadline: asyncio.Timeout | None = None
        self._connection: AsyncConnection | None = None
        self._direct: DirectConnection | None = None
        self._outbox: OutboxWriter | None = None
        self._checked_out = False

    async def __aenter__(self) -> Self:
        if self._deadline is not None:
            raise RuntimeError("this unit of work is already open")
        deadline = asyncio.timeout(self._timeout)
        await deadline.__aenter__()
        self._deadline, self._checked_out = deadline, False
        try:
            connection, direct = await self._connect()
        except BaseException as error:
            await self.__aexit__(type(error), error, error.__traceback__)
            raise
        self._connection, self._direct = connection, direct
        self._outbox = outbox = OutboxWriter(connection, self._webhook_endpoints)
        self.users = SqlUserRepository(connection)
        self.wallets = (
            SqlWalletRepository(connection, outbox)
            if self._direct is None
            else PgWalletRepository(connection, outbox, self._direct)
        )
        self.events = SqlWalletEventRepository(connection, outbox)
        self.escrows = SqlEscrowRepository(connection)
        self.policies = SqlPolicyRepository(connection)
        self.spending = SqlSpendingRepository(connection)
        self.idempotency = SqlIdempotencyRepository(connection)
        self.deliveries = SqlDeliveryRepository(connection)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Release the connection (back to the pool, or discarded if `exc` leaves its state in
        doubt), then leave the deadline, which turns a cancellation of its own into
        TimeoutError: the order an exit stack of the two would keep.
        """
        waiting = not self._checked_out
        deadline, connection, direct, outbox = (
            self._deadline,
            self._connection,
            self._direct,
            self._outbox,
        )
        self._deadline, self._connection, self._outbox, self._direct = None, None, None, None
        if deadline is None:
            return
        with unavailable_as_store_error(waiting_for_connection=waiting):
            try:
                if connection is not None:
                    suspect = isinstance(exc, _CONNECTION_SUSPECT)
                    await _release(connection, direct, suspect=suspect)
            except BaseException as error:
                await deadline.__aexit__(type(error), error, error.__traceback__)
                raise
            await deadline.__aexit__(exc_type, exc, traceback)
        raise_if_unavailable(exc, waiting_for_connection=waiting)
        if self._autocommit and exc is None and outbox is not None and outbox.queued:
            self._ring()

    async def commit(self) -> None:
        if self._connection is None:
            raise RuntimeError("commit outside an open unit of work")
        if self._read_only:
            raise RuntimeError("a read-only unit of work has nothing to commit")
        if self._autocommit:
            raise RuntimeError("an autocommit unit of work committed each statement already")
        if self._direct is None:
            await self._connection.commit()
        else:
            await self._direct.commit()
        if self._outbox is not None and self._outbox.queued:
            self._ring()

    def _ring(self) -> None:
        """Tell `on_queued` that committed deliveries wait."""
        if self._on_queued is not None:
            self._on_queued()

    async def _connect(self) -> tuple[AsyncConnection, DirectConnection | None]:
        started = time.perf_counter()
        direct: DirectConnection | None = None
        if self._engine.dialect.name == "postgresql":
            connection, direct = await DirectConnection.checkout(self._engine)
        else:
            connection = await self._engine.connect()
        self._checked_out = True
        if self._on_connection is not None:
            self._on_connection(time.perf_counter() - started)
        try:
            if direct is not None:
                if not (self._read_only or self._autocommit):
                    await direct.begin()
            elif self._read_only:
                await connection.execution_options(**SQLITE_STATEMENT_BY_STATEMENT)
            else:
                await connection.begin()
        except BaseException:
            await _discard(connection)
            raise
        return connection, direct


async def _release(
    connection: AsyncConnection, direct: DirectConnection | None, *, suspect: bool
) -> None:
    """Back to the pool after a rollback; or, if it may be broken or the rollback fails,
    discarded.
    """
    if suspect:
        await _discard(connection)
        return
    try:
        if direct is not None:
            await direct.rollback_if_open()
            if direct.checkin_at_once(connection):
                return
        await connection.close()  # rolls back a transaction SQLAlchemy still has open
    except BaseException:
        await _discard(connection)
        raise


async def _discard(connection: AsyncConnection) -> None:
    """Invalidate (the engine makes that close the socket at once), then return the husk."""
    with contextlib.suppress(Exception):
        await connection.invalidate()
    with contextlib.suppress(Exception):
        await connection.close()
