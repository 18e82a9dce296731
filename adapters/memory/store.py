"""The committed state of the in-memory database, and the claims that stand in for row locks."""

import asyncio
import os
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from adapters.memory.deliveries import OwedDelivery
from domain.audit import WalletEvent
from domain.idempotency import IdempotencyRecord
from domain.model import User, Wallet
from domain.policy import SigningPolicy
from domain.recovery import Escrow
from domain.webhooks import DeliveryKey

UniqueKey = tuple[str, str]
IdempotencyKey = tuple[str, str]
"""A token id and one of its idempotency keys."""
Spent = tuple[datetime, str, Decimal]
"""When a wallet signed something away, which asset, how much."""


@dataclass
class InMemoryStore:
    """Committed users and wallets, with the unique indexes a SQL schema would have.

    A transaction that inserts a unique value first *claims* it; a second transaction inserting
    the same value waits until the first ends, then sees the committed row (conflict) or a free
    value, just as PostgreSQL's unique index does.
    """

    users: dict[str, User] = field(default_factory=dict)
    user_ids_by_email: dict[str, str] = field(default_factory=dict)
    wallets_by_user: dict[str, Wallet] = field(default_factory=dict)
    public_keys: set[str] = field(default_factory=set)
    events: dict[str, list[WalletEvent]] = field(default_factory=dict)
    escrows: dict[str, Escrow] = field(default_factory=dict)
    policies: dict[str, SigningPolicy] = field(default_factory=dict)
    spending: dict[str, list[Spent]] = field(default_factory=dict)
    idempotency: dict[IdempotencyKey, IdempotencyRecord] = field(default_factory=dict)
    deliveries: dict[DeliveryKey, OwedDelivery] = field(default_factory=dict)
    claims: dict[UniqueKey, asyncio.Event] = field(default_factory=dict)
    locks: dict[str, asyncio.Event] = field(default_factory=dict)
    kdf_salt: bytes = field(default_factory=lambda: os.urandom(16))

    async def deployment_salt(self) -> bytes:
        """The deployment's Argon2id salt, made with the store."""
        return self.kdf_salt

    def is_taken(self, key: UniqueKey) -> bool:
        kind, value = key
        if kind == "users.id":
            return value in self.users
        if kind == "users.email":
            return value in self.user_ids_by_email
        if kind == "wallets.userId":
            return value in self.wallets_by_user
        if kind == "wallets.publicKey":
            return value in self.public_keys
        raise ValueError(f"unknown unique key {kind!r}")

    def apply(  # noqa: PLR0913, PLR0917 - one list per kind of row
        self,
        users: list[User],
        wallets: list[Wallet],
        events: list[WalletEvent],
        escrows: list[Escrow],
        policies: dict[str, SigningPolicy | None] | None = None,
        spending: dict[str, list[Spent]] | None = None,
        idempotency: dict[IdempotencyKey, IdempotencyRecord | None] | None = None,
    ) -> None:
        """Make staged rows (new or updated) committed, all at once: a policy of None is a
        removed one, and a wallet's staged spending replaces its committed spending.
        """
        for wallet_id, policy in (policies or {}).items():
            if policy is None:
                self.policies.pop(wallet_id, None)
            else:
                self.policies[wallet_id] = policy
        self.spending.update(spending or {})
        for key, record in (idempotency or {}).items():
            if record is None:
                self.idempotency.pop(key, None)
            else:
                self.idempotency[key] = record
        for escrow in escrows:
            self.escrows[escrow.wallet_id] = escrow
        for user in users:
            self.users[user.id] = user
            self.user_ids_by_email[user.email] = user.id
        for wallet in wallets:
            self.wallets_by_user[wallet.user_id] = wallet
            self.public_keys.add(wallet.public_key)
        for event in events:
            self.events.setdefault(event.wallet_id, []).append(event)
