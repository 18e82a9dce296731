"""Ports of the store: the repositories, each seen through one unit of work, the unit of work
itself (one transaction), and the store of new wallets (one atomic step each, no unit of work).
"""

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Protocol, Self

from domain.audit import WalletEvent
from domain.idempotency import IdempotencyRecord, KeptResponse
from domain.model import User, Wallet
from domain.policy import SigningPolicy
from domain.ports.webhooks import DeliveryRepository
from domain.recovery import Escrow


class UserRepository(Protocol):
    """Users, seen through one unit of work. Writes become visible to others only on commit."""

    async def get(self, user_id: str) -> User | None:
        """The user with this id, or None."""
        ...

    async def get_by_email(self, email: str) -> User | None:
        """The user with this exact email, or None."""
        ...

    async def add(self, user: User) -> bool:
        """Insert the user. False, with nothing written, when its id or email is already taken
        (including by a concurrent transaction that commits first). Needs a commit.
        """
        ...


class WalletRepository(Protocol):
    """Wallets, seen through one unit of work. The store allows at most one wallet per user."""

    async def get_by_user(self, user_id: str, *, for_update: bool = False) -> Wallet | None:
        """The wallet of this user, or None. With `for_update`, the wallet is locked until this
        unit of work ends: another unit of work asking for it with `for_update` waits, so that
        read-modify-write sequences on one wallet never interleave.
        """
        ...

    async def get_by_existing_user(self, user_id: str) -> Wallet | None:
        """The wallet of this user, or None if the user has none; UserNotFound when no user has
        this id. One read: it tells both at the cost of `get_by_user`.
        """
        ...

    async def page_for_update(self, after_id: str | None, limit: int) -> list[Wallet]:
        """Up to `limit` wallets with ids greater than `after_id`, in id order, locked as with
        `for_update`.
        """
        ...

    async def read_ids(self, after_id: str | None, limit: int) -> list[str]:
        """Up to `limit` wallet ids greater than `after_id`, in order; read only, not locked."""
        ...

    async def update(self, wallet: Wallet) -> None:
        """Store the wallet's mutable fields (encrypted key, status, export time, updated time).
        The wallet should have been read `for_update` in this unit of work. Needs a commit.
        """
        ...

    async def add(self, wallet: Wallet, created: WalletEvent | None = None) -> Wallet:
        """Insert the wallet unless its user already has one, and return the user's wallet:
        the given one if it was inserted, else the one already stored (a concurrent creation
        that committed first wins). `created`, the wallet's first audit event, is inserted with
        it, and only if it is inserted. Raises UserNotFound when the user does not exist,
        PublicKeyTaken when another wallet has this public key. Needs a commit.
        """
        ...


class WalletEventRepository(Protocol):
    """The append-only audit trail of each wallet, seen through one unit of work."""

    async def last(self, wallet_id: str) -> WalletEvent | None:
        """The wallet's latest event, or None if it has none."""
        ...

    async def append(self, event: WalletEvent) -> None:
        """Add the event, which must follow `last` (callers hold the wallet `for_update`).
        Needs a commit.
        """
        ...

    async def after(self, wallet_id: str, after_sequence: int, limit: int) -> list[WalletEvent]:
        """Up to `limit` events of the wallet with sequence numbers above `after_sequence`,
        in order.
        """
        ...


class EscrowRepository(Protocol):
    """Each wallet's escrow (its seed sealed to the recovery key), seen through one unit of work;
    at most one per wallet.
    """

    async def get(self, wallet_id: str) -> Escrow | None:
        """The wallet's escrow, or None."""
        ...

    async def put(self, escrow: Escrow) -> None:
        """Store the wallet's escrow, replacing the one it had (the wallet must exist, and
        should be held `for_update` or be inserted in this unit of work). Needs a commit.
        """
        ...


class PolicyRepository(Protocol):
    """Each wallet's own signing policy, seen through one unit of work; at most one per wallet.
    A wallet without one is judged by the deployment's default.
    """

    async def get(self, wallet_id: str) -> SigningPolicy | None:
        """The wallet's own policy, or None."""
        ...

    async def put(self, wallet_id: str, policy: SigningPolicy) -> None:
        """Store the wallet's own policy, replacing the one it had (the wallet must exist and
        be held `for_update`). Needs a commit.
        """
        ...

    async def remove(self, wallet_id: str) -> bool:
        """Remove the wallet's own policy; whether it had one. Needs a commit."""
        ...


class SpendingRepository(Protocol):
    """What each wallet signed away, per asset, kept long enough for daily limits."""

    async def since(self, wallet_id: str, moment: datetime) -> dict[str, Decimal]:
        """What the wallet signed away from `moment` on, summed per asset."""
        ...

    async def add(
        self,
        wallet_id: str,
        moment: datetime,
        amounts: Mapping[str, Decimal],
        *,
        keep_after: datetime,
    ) -> None:
        """Record what the wallet signed away at `moment` (the wallet must be held
        `for_update`, so that the check and the record of concurrent signatures are serial),
        and forget its records from before `keep_after`. Needs a commit.
        """
        ...


class IdempotencyRepository(Protocol):
    """Each API token's idempotency keys, seen through one unit of work."""

    async def claim(self, record: IdempotencyRecord) -> bool:
        """Take the record's key for its token, unless a record holds it that has not expired
        by the record's `started_at` (an expired one is replaced); whether it was taken. A
        concurrent claim of the same key waits for this unit of work to end. Needs a commit.
        """
        ...

    async def get(self, token_id: str, key: str) -> IdempotencyRecord | None:
        """The token's record of the key, expired or not, or None."""
        ...

    async def take_over(self, record: IdempotencyRecord, started_at: datetime) -> bool:
        """Restart an unanswered record (its runner died) at `started_at`, if it is still as
        read (same `started_at`, no answer); whether it was. Needs a commit.
        """
        ...

    async def answer(self, token_id: str, key: str, response: KeptResponse) -> None:
        """Keep the answer of the key's request. Needs a commit."""
        ...

    async def remove(self, token_id: str, key: str) -> None:
        """Forget the key (its request's answer is not to be kept). Needs a commit."""
        ...

    async def purge(self, now: datetime, limit: int) -> int:
        """Delete at most `limit` records expired by `now`; how many. Needs a commit."""
        ...


class UnitOfWork(Protocol):
    """One transaction. `async with uow:` opens it and exposes `users`, `wallets` and `events`;
    leaving the block without `await uow.commit()`, or by an exception, rolls everything back.
    A store that cannot do the work now (unreachable, busy, deadline passed, connection lost)
    raises StoreUnavailable, from any method or from leaving the block: nothing was changed.
    """

    users: UserRepository
    wallets: WalletRepository
    events: WalletEventRepository
    escrows: EscrowRepository
    policies: PolicyRepository
    spending: SpendingRepository
    idempotency: IdempotencyRepository
    deliveries: DeliveryRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None:
        """Make every write of this unit of work durable and visible, atomically."""
        ...


class WalletCreations(Protocol):
    """Stores new wallets, each in one atomic step of its own: no unit of work of the caller's
    is open or needed around it.
    """

    @property
    def add_first(self) -> bool:
        """Whether `add` answers a user who has a wallet with that wallet as cheaply as reading
        it would (in the one round trip): a creation may then seal and add before it knows,
        and a new wallet costs one round trip instead of a read and a write.
        """
        ...

    async def add(self, wallet: Wallet, created: WalletEvent, escrow: Escrow | None) -> Wallet:
        """Store the wallet with its first audit event `created` (and that event's webhook
        deliveries) and its `escrow`, if any, all or nothing, unless its user already has a
        wallet; return the user's wallet: the given one if it was stored, else the one stored
        first (a concurrent creation that committed first wins). Raises UserNotFound when the
        user does not exist, PublicKeyTaken when another wallet has this public key, and
        StoreUnavailable as a unit of work does: in each case nothing was stored.
        """
        ...
