"""The repositories whose statements are on the hot path, on PostgreSQL: the same statements as
their SQLAlchemy parents, sent through asyncpg directly (pg_direct).
"""

from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.delivery_repository import OutboxWriter
from adapters.sql.event_rows import event_row
from adapters.sql.pg_creation_statement import creation
from adapters.sql.pg_direct import DirectConnection, DirectStatement
from adapters.sql.wallet_repositories import (
    INSERT_WALLET_WITH_EVENT,
    WALLET_BY_EXISTING_USER,
    WALLET_BY_USER,
    WALLET_BY_USER_FOR_UPDATE,
    SqlWalletRepository,
    refusal_of_insert,
    wallet_of,
    wallet_of_existing_user,
)
from domain.audit import WalletEvent
from domain.model import Wallet
from domain.recovery import Escrow

_BY_USER = DirectStatement.of(WALLET_BY_USER)
_BY_USER_FOR_UPDATE = DirectStatement.of(WALLET_BY_USER_FOR_UPDATE)
_BY_EXISTING_USER = DirectStatement.of(WALLET_BY_EXISTING_USER)
_INSERT_WITH_EVENT = DirectStatement.of(INSERT_WALLET_WITH_EVENT)


class PgWalletRepository(SqlWalletRepository):
    """SqlWalletRepository whose reads by user and whose creation's INSERT (the wallet with its
    first event) go through asyncpg directly.
    """

    def __init__(
        self, connection: AsyncConnection, outbox: OutboxWriter, direct: DirectConnection
    ) -> None:
        super().__init__(connection, outbox)
        self._direct = direct

    async def get_by_user(self, user_id: str, *, for_update: bool = False) -> Wallet | None:
        statement = _BY_USER_FOR_UPDATE if for_update else _BY_USER
        row = await self._direct.fetchrow(statement, {"user_id": user_id})
        return None if row is None else wallet_of(row)

    async def get_by_existing_user(self, user_id: str) -> Wallet | None:
        row = await self._direct.fetchrow(_BY_EXISTING_USER, {"user_id": user_id})
        return wallet_of_existing_user(user_id, row)

    async def add_alone(
        self, wallet: Wallet, created: WalletEvent, escrow: Escrow | None
    ) -> Wallet:
        """`add` of the wallet with `created`, that event's deliveries and `escrow`, by one
        statement: atomic on its own, in a unit of work with or without a transaction. The
        wallet the user has already comes back in the same statement, unless it was committed
        while that ran: then a second statement reads it.
        """
        statement, values = creation(wallet, created, escrow, self._outbox.endpoints)
        try:
            row = await self._direct.fetchrow(statement, values)
        except asyncpg.IntegrityConstraintViolationError as error:
            raise refusal_of_insert(wallet.user_id, error) from None
        if row is not None and row["insertedId"] is not None:
            if values.get("endpoints"):
                self._outbox.queued = True
            return wallet
        if row is not None and row["id"] is not None:
            return wallet_of(row)
        return await self._stored_instead(wallet)

    async def _insert_with_event(self, values: dict[str, Any], created: WalletEvent | None) -> bool:
        if created is None:
            return await super()._insert_with_event(values, created)
        event = {f"event_{name}": value for name, value in event_row(created).items()}
        try:
            row = await self._direct.fetchrow(_INSERT_WITH_EVENT, values | event)
        except asyncpg.IntegrityConstraintViolationError as error:
            raise refusal_of_insert(values["userId"], error) from None
        return row is not None
