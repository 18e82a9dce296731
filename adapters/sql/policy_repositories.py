"""PolicyRepository and SpendingRepository on one connection in a transaction."""

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.conventions import insert_for, to_db
from adapters.sql.tables import wallet_policies, wallet_spending
from adapters.stellar.policy_document import document_of, policy_of
from domain.model import utc_now
from domain.policy import SigningPolicy


class SqlPolicyRepository:
    """Each wallet's own policy in `wallet_policies`, as its JSON document."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get(self, wallet_id: str) -> SigningPolicy | None:
        statement = select(wallet_policies.c.document).where(
            wallet_policies.c.walletId == wallet_id
        )
        document = (await self._connection.execute(statement)).scalar()
        return None if document is None else policy_of(json.loads(document))

    async def put(self, wallet_id: str, policy: SigningPolicy) -> None:
        values = {
            "walletId": wallet_id,
            "document": json.dumps(document_of(policy), separators=(",", ":")),
            "updatedAt": to_db(utc_now()),
        }
        statement = insert_for(self._connection, wallet_policies).values(**values)
        replaced = {name: statement.excluded[name] for name in values if name != "walletId"}
        await self._connection.execute(
            statement.on_conflict_do_update(index_elements=["walletId"], set_=replaced)
        )

    async def remove(self, wallet_id: str) -> bool:
        statement = delete(wallet_policies).where(wallet_policies.c.walletId == wallet_id)
        return bool((await self._connection.execute(statement)).rowcount)


class SqlSpendingRepository:
    """What each wallet signed away in `wallet_spending`: a row per asset per signature."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def since(self, wallet_id: str, moment: datetime) -> dict[str, Decimal]:
        statement = (
            select(wallet_spending.c.asset, wallet_spending.c.amount)
            .where(wallet_spending.c.walletId == wallet_id)
            .where(wallet_spending.c.signedAt >= to_db(moment))
        )
        totals: dict[str, Decimal] = {}
        for asset, amount in await self._connection.execute(statement):
            totals[asset] = totals.get(asset, Decimal(0)) + Decimal(amount)
        return totals

    async def add(
        self,
        wallet_id: str,
        moment: datetime,
        amounts: Mapping[str, Decimal],
        *,
        keep_after: datetime,
    ) -> None:
        await self._connection.execute(
            delete(wallet_spending)
            .where(wallet_spending.c.walletId == wallet_id)
            .where(wallet_spending.c.signedAt < to_db(keep_after))
        )
        rows = [
            {
                "walletId": wallet_id,
                "signedAt": to_db(moment),
                "asset": asset,
                "amount": format(amount, "f"),
            }
            for asset, amount in sorted(amounts.items())
        ]
        if rows:
            await self._connection.execute(insert(wallet_spending), rows)
