"""UpgradeEnvelopes: re-seal the wallets of one caller key in the format the deployment writes
now (v1 to v2 once a key-management backend is configured).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from application.batches import in_batches_with_key
from application.escrow import NO_ESCROW, Escrowing
from application.wallet_access import resealed, store_envelope
from domain.audit import EventType
from domain.errors import EnvelopeTampered, KmsKeyMismatch, WalletKeyMismatch
from domain.model import Wallet
from domain.ports import Cipher, UnitOfWork
from domain.secrets import EncryptionKey


@dataclass
class UpgradeProgress:
    """Running totals of an upgrade. `other_key` lists the wallets the key does not open (they
    belong to other caller keys: run again with each); `failed` those that are damaged or whose
    second factor another backend key wrapped.
    """

    upgraded: int = 0
    current: int = 0
    other_key: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    last_wallet_id: str | None = None

    @property
    def seen(self) -> int:
        return self.upgraded + self.current + len(self.other_key) + len(self.failed)


class UpgradeEnvelopes:
    """Re-seal, under the same caller key, every wallet that key opens whose envelope is not of
    the kind the deployment writes now (`Cipher.is_current`): with a key-management backend,
    v1 envelopes become v2. Same keypair, same caller key.

    Wallets in id order, `batch_size` per unit of work, held for update and committed batch by
    batch: resumable, current wallets are skipped. The key is prepared once per run, before any
    unit of work opens. Each new envelope passes the self-check (SealingFailed stops the run)
    and each upgraded wallet gets an `upgraded` event. A backend that is unavailable or refuses
    stops the run (the batch in progress is rolled back). With `dry_run`, nothing is written.
    """

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        cipher: Cipher,
        batch_size: int,
        escrowing: Escrowing = NO_ESCROW,
    ) -> None:
        self._uow_factory = uow_factory
        self._cipher = cipher
        self._batch_size = batch_size
        self._escrowing = escrowing

    async def __call__(
        self,
        key: EncryptionKey,
        *,
        dry_run: bool = False,
        actor: str | None = None,
        on_batch: Callable[[UpgradeProgress], None] = lambda _: None,
    ) -> UpgradeProgress:
        progress = UpgradeProgress()

        async def upgrade(uow: UnitOfWork, wallet: Wallet, prepared: EncryptionKey) -> None:
            await self._upgrade_one(uow, wallet, prepared, progress, actor)

        return await in_batches_with_key(
            self._uow_factory,
            self._batch_size,
            progress,
            upgrade,
            cipher=self._cipher,
            key=key,
            dry_run=dry_run,
            on_batch=on_batch,
        )

    async def _upgrade_one(
        self,
        uow: UnitOfWork,
        wallet: Wallet,
        key: EncryptionKey,
        progress: UpgradeProgress,
        actor: str | None,
    ) -> None:
        if self._cipher.is_current(wallet.encrypted_key):
            progress.current += 1
            return
        try:
            envelope, escrow = await resealed(
                self._cipher, wallet, key, key, escrowing=self._escrowing
            )
        except WalletKeyMismatch:
            progress.other_key.append(wallet.id)
            return
        except (EnvelopeTampered, KmsKeyMismatch):
            progress.failed.append(wallet.id)
            return
        await store_envelope(uow, wallet, envelope, EventType.UPGRADED, actor=actor, escrow=escrow)
        progress.upgraded += 1
