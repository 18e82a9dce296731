"""The in-memory PolicyRepository, SpendingRepository and IdempotencyRepository, over the
transaction of an InMemoryUnitOfWork.
"""

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from adapters.memory.store import IdempotencyKey, Spent
from domain.idempotency import IdempotencyRecord, KeptResponse
from domain.policy import SigningPolicy

if TYPE_CHECKING:
    from adapters.memory.unit_of_work import _Transaction


class InMemoryPolicyRepository:
    """PolicyRepository over a transaction: staged policies (None: removed) first."""

    def __init__(self, tx: "_Transaction") -> None:
        self._tx = tx

    async def get(self, wallet_id: str) -> SigningPolicy | None:
        if wallet_id in self._tx.policies:
            return self._tx.policies[wallet_id]
        return self._tx.store.policies.get(wallet_id)

    async def put(self, wallet_id: str, policy: SigningPolicy) -> None:
        self._tx.policies[wallet_id] = policy

    async def remove(self, wallet_id: str) -> bool:
        had = await self.get(wallet_id) is not None
        self._tx.policies[wallet_id] = None
        return had


class InMemorySpendingRepository:
    """SpendingRepository over a transaction: a wallet's staged records replace its committed
    ones at commit.
    """

    def __init__(self, tx: "_Transaction") -> None:
        self._tx = tx

    def _records(self, wallet_id: str) -> list[Spent]:
        staged = self._tx.spending.get(wallet_id)
        return staged if staged is not None else self._tx.store.spending.get(wallet_id, [])

    async def since(self, wallet_id: str, moment: datetime) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for signed_at, asset, amount in self._records(wallet_id):
            if signed_at >= moment:
                totals[asset] = totals.get(asset, Decimal(0)) + amount
        return totals

    async def add(
        self,
        wallet_id: str,
        moment: datetime,
        amounts: Mapping[str, Decimal],
        *,
        keep_after: datetime,
    ) -> None:
        kept = [record for record in self._records(wallet_id) if record[0] >= keep_after]
        added = [(moment, asset, amount) for asset, amount in sorted(amounts.items())]
        self._tx.spending[wallet_id] = kept + added


class InMemoryIdempotencyRepository:
    """IdempotencyRepository over a transaction: staged records (None: removed) first; a claim
    holds the key until the transaction ends, as a unique index would.
    """

    def __init__(self, tx: "_Transaction") -> None:
        self._tx = tx

    def _read(self, key: IdempotencyKey) -> IdempotencyRecord | None:
        if key in self._tx.idempotency:
            return self._tx.idempotency[key]
        return self._tx.store.idempotency.get(key)

    async def claim(self, record: IdempotencyRecord) -> bool:
        key = (record.token_id, record.key)

        def held() -> bool:
            kept = self._tx.store.idempotency.get(key)
            return kept is not None and kept.expires_at > record.started_at

        if not await self._tx.claim(("idempotency", "\0".join(key)), held):
            return False
        self._tx.idempotency[key] = record
        return True

    async def get(self, token_id: str, key: str) -> IdempotencyRecord | None:
        return self._read((token_id, key))

    async def take_over(self, record: IdempotencyRecord, started_at: datetime) -> bool:
        key = (record.token_id, record.key)
        kept = self._read(key)
        if kept is None or kept.response is not None or kept.started_at != record.started_at:
            return False
        self._tx.idempotency[key] = replace(kept, started_at=started_at)
        return True

    async def answer(self, token_id: str, key: str, response: KeptResponse) -> None:
        kept = self._read((token_id, key))
        if kept is not None:
            self._tx.idempotency[token_id, key] = replace(kept, response=response)

    async def remove(self, token_id: str, key: str) -> None:
        self._tx.idempotency[token_id, key] = None

    async def purge(self, now: datetime, limit: int) -> int:
        expired = sorted(
            (record.expires_at, key)
            for key, record in self._tx.store.idempotency.items()
            if record.expires_at <= now and self._tx.idempotency.get(key, record) is not None
        )[:limit]
        for _, key in expired:
            self._tx.idempotency[key] = None
        return len(expired)
