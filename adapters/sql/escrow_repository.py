"""EscrowRepository on one SQLAlchemy async connection (Core, no ORM): `wallet_escrows`."""

from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.conventions import from_db, insert_for, to_db
from adapters.sql.tables import wallet_escrows
from domain.recovery import Escrow


class SqlEscrowRepository:
    """Escrows in `wallet_escrows`, one row per wallet."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get(self, wallet_id: str) -> Escrow | None:
        statement = select(wallet_escrows).where(wallet_escrows.c.walletId == wallet_id)
        row = (await self._connection.execute(statement)).first()
        return None if row is None else _escrow(row)

    async def put(self, escrow: Escrow) -> None:
        values = {
            "walletId": escrow.wallet_id,
            "recoveryKeyId": escrow.recovery_key_id,
            "sealedSeed": escrow.sealed_seed,
            "createdAt": to_db(escrow.created_at),
        }
        statement = insert_for(self._connection, wallet_escrows).values(**values)
        replaced = {name: statement.excluded[name] for name in values if name != "walletId"}
        await self._connection.execute(
            statement.on_conflict_do_update(index_elements=["walletId"], set_=replaced)
        )


def _escrow(row: Row[Any]) -> Escrow:
    return Escrow(row.walletId, row.recoveryKeyId, row.sealedSeed, from_db(row.createdAt))
