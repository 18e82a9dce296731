"""RewrapAll: move every wallet's second factor to the key-management backend's newest key."""

from collections.abc import Callable
from dataclasses import dataclass, field

from application.batches import in_batches
from application.wallet_access import store_envelope
from domain.audit import EventType
from domain.errors import EnvelopeTampered, KmsKeyMismatch
from domain.model import Wallet
from domain.ports import Cipher, UnitOfWork


@dataclass
class RewrapProgress:
    """Running totals of a rewrap. `failed` lists the wallets whose second factor this backend
    could not rewrap (another backend key's, or damaged).
    """

    rewrapped: int = 0
    current: int = 0
    without_second_factor: int = 0
    failed: list[str] = field(default_factory=list)
    last_wallet_id: str | None = None

    @property
    def seen(self) -> int:
        return self.rewrapped + self.current + self.without_second_factor + len(self.failed)


class RewrapAll:
    """After the backend's key was rotated, wrap every wallet's share again under the newest key
    version, needing no caller key (the share stays inside the backend where it can).

    Wallets in id order, `batch_size` per unit of work, each batch held for update and committed
    on its own: resumable, and wallets already at the newest version are skipped (counted as
    current). v1 wallets (no second factor) are counted, not changed. Wallets whose share another
    key wrapped, or that are damaged, are listed, never changed. A backend that is unavailable
    or refuses stops the run (KmsUnavailable, KmsRefused): the batch in progress is rolled back,
    and running again resumes. Each rewrapped wallet gets a `rewrapped` event.
    """

    def __init__(
        self, uow_factory: Callable[[], UnitOfWork], cipher: Cipher, batch_size: int
    ) -> None:
        self._uow_factory = uow_factory
        self._cipher = cipher
        self._batch_size = batch_size

    async def __call__(
        self,
        *,
        dry_run: bool = False,
        actor: str | None = None,
        on_batch: Callable[[RewrapProgress], None] = lambda _: None,
    ) -> RewrapProgress:
        progress = RewrapProgress()

        async def rewrap(uow: UnitOfWork, wallet: Wallet) -> None:
            await self._rewrap_one(uow, wallet, progress, actor)

        return await in_batches(
            self._uow_factory,
            self._batch_size,
            progress,
            rewrap,
            dry_run=dry_run,
            on_batch=on_batch,
        )

    async def _rewrap_one(
        self, uow: UnitOfWork, wallet: Wallet, progress: RewrapProgress, actor: str | None
    ) -> None:
        try:
            envelope = await self._cipher.rewrap(wallet.encrypted_key, wallet.binding)
        except (KmsKeyMismatch, EnvelopeTampered):
            progress.failed.append(wallet.id)
            return
        if envelope is None:
            if self._cipher.is_current(wallet.encrypted_key):
                progress.current += 1
            else:
                progress.without_second_factor += 1
            return
        await store_envelope(uow, wallet, envelope, EventType.REWRAPPED, actor=actor)
        progress.rewrapped += 1
