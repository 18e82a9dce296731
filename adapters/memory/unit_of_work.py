"""In-memory unit of work and repositories with real commit and rollback."""

import asyncio
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Self

from adapters.memory.deliveries import InMemoryDeliveryRepository, OwedDelivery, queued
from adapters.memory.policy_and_idempotency import (
    InMemoryIdempotencyRepository,
    InMemoryPolicyRepository,
    InMemorySpendingRepository,
)
from adapters.memory.store import IdempotencyKey, InMemoryStore, Spent, UniqueKey
from domain.audit import WalletEvent
from domain.errors import PublicKeyTaken, UserNotFound
from domain.idempotency import IdempotencyRecord
from domain.model import User, Wallet
from domain.policy import SigningPolicy
from domain.recovery import Escrow
from domain.webhooks import DeliveryKey


class _Transaction:
    """Staged writes and held claims of one open unit of work."""

    def __init__(self, store: InMemoryStore, webhook_endpoints: Sequence[str] = ()) -> None:
        self.store = store
        self.webhook_endpoints = webhook_endpoints
        self.users: dict[str, User] = {}
        self.wallets: dict[str, Wallet] = {}
        self.events: list[WalletEvent] = []
        self.escrows: dict[str, Escrow] = {}
        self.policies: dict[str, SigningPolicy | None] = {}
        self.spending: dict[str, list[Spent]] = {}
        self.idempotency: dict[IdempotencyKey, IdempotencyRecord | None] = {}
        self.deliveries: dict[DeliveryKey, OwedDelivery | None] = {}
        self.queued_deliveries = False
        self.claimed: list[UniqueKey] = []
        self.locked: list[str] = []
        self.ended = asyncio.Event()

    async def lock(self, wallet_id: str) -> None:
        """Hold the wallet's row lock until this transaction ends (waiting for its holder)."""
        while (holder := self.store.locks.get(wallet_id)) is not None and holder is not self.ended:
            await holder.wait()
        if holder is None:
            self.store.locks[wallet_id] = self.ended
            self.locked.append(wallet_id)

    async def claim(self, key: UniqueKey, taken: Callable[[], bool] | None = None) -> bool:
        """Take the unique value for this transaction; False if it is (or becomes) taken (by
        the store's unique indexes, or as `taken` says).
        """
        while True:
            if taken() if taken is not None else self.store.is_taken(key):
                return False
            holder = self.store.claims.get(key)
            if holder is None:
                self.store.claims[key] = self.ended
                self.claimed.append(key)
                return True
            if holder is self.ended:
                return False
            await holder.wait()

    def record(self, event: WalletEvent) -> None:
        """Stage the event, and its delivery to each webhook endpoint."""
        self.events.append(event)
        if self.webhook_endpoints:
            self.deliveries.update(queued(self.webhook_endpoints, event))
            self.queued_deliveries = True

    def end(self, *, commit: bool) -> None:
        if commit:
            self.store.apply(
                list(self.users.values()),
                list(self.wallets.values()),
                self.events,
                list(self.escrows.values()),
                self.policies,
                self.spending,
                self.idempotency,
            )
            for delivery, row in self.deliveries.items():
                if row is None:
                    self.store.deliveries.pop(delivery, None)
                else:
                    self.store.deliveries[delivery] = row
        for key in self.claimed:
            del self.store.claims[key]
        for wallet_id in self.locked:
            del self.store.locks[wallet_id]
        self.ended.set()


class InMemoryUserRepository:
    """UserRepository over a transaction: staged rows first, then committed ones."""

    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def get(self, user_id: str) -> User | None:
        return self._tx.users.get(user_id) or self._tx.store.users.get(user_id)

    async def get_by_email(self, email: str) -> User | None:
        for user in self._tx.users.values():
            if user.email == email:
                return user
        user_id = self._tx.store.user_ids_by_email.get(email)
        return None if user_id is None else self._tx.store.users[user_id]

    async def add(self, user: User) -> bool:
        if not await self._tx.claim(("users.id", user.id)):
            return False
        if not await self._tx.claim(("users.email", user.email)):
            return False
        self._tx.users[user.id] = user
        return True


class InMemoryWalletRepository:
    """WalletRepository over a transaction: one wallet per user, and only for existing users."""

    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def get_by_user(self, user_id: str, *, for_update: bool = False) -> Wallet | None:
        wallet = self._read(user_id)
        if wallet is not None and for_update:
            await self._tx.lock(wallet.id)
            wallet = self._read(user_id)  # what the previous holder committed
        return wallet

    async def get_by_existing_user(self, user_id: str) -> Wallet | None:
        if user_id not in self._tx.users and user_id not in self._tx.store.users:
            raise UserNotFound(user_id)
        return self._read(user_id)

    async def page_for_update(self, after_id: str | None, limit: int) -> list[Wallet]:
        committed = sorted(self._tx.store.wallets_by_user.values(), key=lambda wallet: wallet.id)
        chosen = [w for w in committed if after_id is None or w.id > after_id][:limit]
        for wallet in chosen:
            await self._tx.lock(wallet.id)
        return [self._read(wallet.user_id) or wallet for wallet in chosen]

    async def read_ids(self, after_id: str | None, limit: int) -> list[str]:
        ids = sorted(wallet.id for wallet in self._tx.store.wallets_by_user.values())
        return [wallet_id for wallet_id in ids if after_id is None or wallet_id > after_id][:limit]

    async def update(self, wallet: Wallet) -> None:
        self._tx.wallets[wallet.user_id] = wallet

    def _read(self, user_id: str) -> Wallet | None:
        return self._tx.wallets.get(user_id) or self._tx.store.wallets_by_user.get(user_id)

    async def add(self, wallet: Wallet, created: WalletEvent | None = None) -> Wallet:
        if wallet.user_id not in self._tx.users and wallet.user_id not in self._tx.store.users:
            raise UserNotFound(wallet.user_id)
        if not await self._tx.claim(("wallets.userId", wallet.user_id)):
            stored = await self.get_by_user(wallet.user_id)
            if stored is None:
                raise UserNotFound(wallet.user_id)
            return stored
        if not await self._tx.claim(("wallets.publicKey", wallet.public_key)):
            raise PublicKeyTaken
        self._tx.wallets[wallet.user_id] = wallet
        if created is not None:
            self._tx.record(created)
        return wallet


class InMemoryWalletEventRepository:
    """WalletEventRepository over a transaction: committed events, then staged ones."""

    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    def _all(self, wallet_id: str) -> list[WalletEvent]:
        staged = [event for event in self._tx.events if event.wallet_id == wallet_id]
        return self._tx.store.events.get(wallet_id, []) + staged

    async def last(self, wallet_id: str) -> WalletEvent | None:
        events = self._all(wallet_id)
        return events[-1] if events else None

    async def append(self, event: WalletEvent) -> None:
        if any(e.sequence == event.sequence for e in self._all(event.wallet_id)):
            raise RuntimeError("duplicate event sequence: the wallet was not held for update")
        self._tx.record(event)

    async def after(self, wallet_id: str, after_sequence: int, limit: int) -> list[WalletEvent]:
        return [event for event in self._all(wallet_id) if event.sequence > after_sequence][:limit]


class InMemoryEscrowRepository:
    """EscrowRepository over a transaction: staged escrows first, then committed ones."""

    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def get(self, wallet_id: str) -> Escrow | None:
        return self._tx.escrows.get(wallet_id) or self._tx.store.escrows.get(wallet_id)

    async def put(self, escrow: Escrow) -> None:
        self._tx.escrows[escrow.wallet_id] = escrow


class InMemoryUnitOfWork:
    """UnitOfWork on an InMemoryStore. Writes are staged and invisible to other units of work
    until commit; leaving the block without commit, or by an exception, discards them.

    With webhook endpoints, every event recorded queues its deliveries in the same transaction,
    and a commit that queued any tells `on_queued`. A `read_only` one cannot commit.
    """

    users: InMemoryUserRepository
    wallets: InMemoryWalletRepository
    events: InMemoryWalletEventRepository
    escrows: InMemoryEscrowRepository
    policies: InMemoryPolicyRepository
    spending: InMemorySpendingRepository
    idempotency: InMemoryIdempotencyRepository
    deliveries: InMemoryDeliveryRepository

    def __init__(
        self,
        store: InMemoryStore,
        webhook_endpoints: Sequence[str] = (),
        on_queued: Callable[[], None] | None = None,
        *,
        read_only: bool = False,
    ) -> None:
        self._store = store
        self._webhook_endpoints = webhook_endpoints
        self._on_queued = on_queued
        self._read_only = read_only
        self._tx: _Transaction | None = None

    async def __aenter__(self) -> Self:
        if self._tx is not None:
            raise RuntimeError("this unit of work is already open")
        self._tx = _Transaction(self._store, self._webhook_endpoints)
        self.users = InMemoryUserRepository(self._tx)
        self.wallets = InMemoryWalletRepository(self._tx)
        self.events = InMemoryWalletEventRepository(self._tx)
        self.escrows = InMemoryEscrowRepository(self._tx)
        self.policies = InMemoryPolicyRepository(self._tx)
        self.spending = InMemorySpendingRepository(self._tx)
        self.idempotency = InMemoryIdempotencyRepository(self._tx)
        self.deliveries = InMemoryDeliveryRepository(self._tx)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        tx, self._tx = self._tx, None
        if tx is not None and not tx.ended.is_set():
            tx.end(commit=False)

    async def commit(self) -> None:
        if self._tx is None or self._tx.ended.is_set():
            raise RuntimeError("commit outside an open unit of work")
        if self._read_only:
            raise RuntimeError("a read-only unit of work has nothing to commit")
        self._tx.end(commit=True)
        if self._tx.queued_deliveries and self._on_queued is not None:
            self._on_queued()
