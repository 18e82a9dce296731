"""UnitOfWork on a SQLAlchemy async engine: one connection, one transaction."""

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sql.repositories import SqlUserRepository, SqlWalletRepository


class SqlUnitOfWork:
    """Takes a pooled connection and begins a transaction on enter; commit() commits it; leaving
    without commit, or by an exception, rolls it back. The connection goes back to the pool on
    exit either way.
    """

    users: SqlUserRepository
    wallets: SqlWalletRepository

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None

    async def __aenter__(self) -> Self:
        if self._connection is not None:
            raise RuntimeError("this unit of work is already open")
        connection = await self._engine.connect()
        try:
            await connection.begin()
        except BaseException:
            await connection.close()
            raise
        self._connection = connection
        self.users = SqlUserRepository(connection)
        self.wallets = SqlWalletRepository(connection)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if connection.in_transaction():
                await connection.rollback()
        finally:
            await connection.close()

    async def commit(self) -> None:
        if self._connection is None:
            raise RuntimeError("commit outside an open unit of work")
        await self._connection.commit()
