"""CreateWallets: many users' wallets under one caller key, each creation on its own."""

from collections.abc import Sequence
from dataclasses import dataclass, replace

from application.create_user_wallet import CreateUserWallet, KeyOnce
from application.results import WalletResult
from domain.errors import (
    DomainError,
    EnvelopeTampered,
    InvalidInput,
    KmsKeyMismatch,
    SealingFailed,
    UserNotFound,
    WalletExistsUnderAnotherKey,
)
from domain.secrets import EncryptionKey

ITEM_ERRORS: tuple[type[DomainError], ...] = (
    InvalidInput,
    UserNotFound,
    WalletExistsUnderAnotherKey,
    EnvelopeTampered,
    KmsKeyMismatch,
    SealingFailed,
)
"""What concerns one item alone (its user id, its user, its wallet, the envelope just sealed for
it): that item's outcome, while the others go on. Anything else concerns the service (the
database, the key-derivation slots, the key-management backend, a bug) and stops the batch."""


@dataclass(frozen=True, slots=True, repr=False)
class CreateWalletsRequest:
    """Create (or fetch) the wallet of each of `user_ids`, in order, under `encryption_key`."""

    user_ids: Sequence[str]
    encryption_key: EncryptionKey
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    """What one item came to: its wallet (`created` or not), or the error that refused it."""

    user_id: str
    result: WalletResult | DomainError

    @property
    def wallet(self) -> WalletResult | None:
        return self.result if isinstance(self.result, WalletResult) else None

    @property
    def error(self) -> DomainError | None:
        return self.result if isinstance(self.result, DomainError) else None


class CreateWallets:
    """Give each user of a batch exactly one wallet, all under the same caller key.

    Each item is CreateUserWallet's creation (`CreateUserWallet.under`), in the order given, one
    at a time, with its own units of work: an item that fails changes nothing, and leaves the
    others as they are. The key is prepared once for the whole batch (stretched, or taken from
    the cache), when the first item whose user exists needs it: a batch of unknown users
    derives nothing.

    Returns one ItemOutcome per item, in the order of the items: the wallet with `created` True
    (new) or False (it existed and the key opens it); or the error of ITEM_ERRORS that refused
    the item (InvalidInput for an id the single creation refuses, UserNotFound,
    WalletExistsUnderAnotherKey, EnvelopeTampered or KmsKeyMismatch for a damaged or foreign
    envelope, SealingFailed). A user id given again gets the outcome of its first occurrence,
    as a replay (`created` False), without running again.

    Any other error (StoreUnavailable, KeyDerivationBusy, KmsUnavailable, KmsRefused, a bug)
    is raised at once, and the items after it are not run. The items before it stay done: each
    committed on its own. Running the same batch again is safe: creation is idempotent, so the
    items done answer their wallet with `created` False, and the rest run.
    """

    def __init__(self, create: CreateUserWallet) -> None:
        self._create = create

    async def __call__(self, request: CreateWalletsRequest) -> tuple[ItemOutcome, ...]:
        done: dict[str, ItemOutcome] = {}
        outcomes: list[ItemOutcome] = []
        with self._create.key_once(request.encryption_key) as key:
            for user_id in request.user_ids:
                first = done.get(user_id)
                if first is None:
                    first = done[user_id] = await self._one(key, user_id, request.actor)
                    outcomes.append(first)
                else:
                    outcomes.append(_repeated(first))
        return tuple(outcomes)

    async def _one(self, key: KeyOnce, user_id: str, actor: str | None) -> ItemOutcome:
        try:
            return ItemOutcome(user_id, await self._create.under(key, user_id, actor))
        except ITEM_ERRORS as error:
            return ItemOutcome(user_id, error)


def _repeated(first: ItemOutcome) -> ItemOutcome:
    """A repeat of an item: its first occurrence's outcome, the wallet as a replay."""
    if isinstance(first.result, DomainError):
        return first
    return replace(first, result=replace(first.result, created=False))
