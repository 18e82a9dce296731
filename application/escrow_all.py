"""EscrowAll: escrow the wallets of one caller key to the configured recovery key, for wallets
made before it was configured or escrowed to a recovery key that has since been replaced.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from application.batches import in_batches_with_key
from application.escrow import Escrowing
from application.wallet_access import decrypt_seed, record
from domain.audit import EventType
from domain.errors import EnvelopeTampered, Field, InvalidInput, KmsKeyMismatch, WalletKeyMismatch
from domain.model import Wallet
from domain.ports import Cipher, UnitOfWork
from domain.secrets import EncryptionKey


@dataclass
class EscrowProgress:
    """Running totals of `recovery escrow`. `other_key` lists the wallets the caller key does
    not open (run again with each key); `failed` the damaged ones.
    """

    escrowed: int = 0
    current: int = 0
    other_key: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    last_wallet_id: str | None = None

    @property
    def seen(self) -> int:
        return self.escrowed + self.current + len(self.other_key) + len(self.failed)


class EscrowAll:
    """Give every wallet the caller key opens an escrow under the configured recovery key (a
    wallet whose escrow is under it already is skipped, whatever its key). InvalidInput when no
    recovery key is configured.

    Wallets in id order, `batch_size` per unit of work, held for update and committed batch by
    batch: resumable. The key is prepared once, before any unit of work opens. Each escrowed
    wallet gets an `escrowed` event naming the recovery key's id. With `dry_run`, nothing is
    written. A key-management backend that is unavailable or refuses stops the run.
    """

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        cipher: Cipher,
        escrowing: Escrowing,
        batch_size: int,
    ) -> None:
        self._uow_factory = uow_factory
        self._cipher = cipher
        self._escrowing = escrowing
        self._batch_size = batch_size

    async def __call__(
        self,
        key: EncryptionKey,
        *,
        dry_run: bool = False,
        actor: str | None = None,
        on_batch: Callable[[EscrowProgress], None] = lambda _: None,
    ) -> EscrowProgress:
        recovery_key = self._escrowing.recovery_key
        if recovery_key is None:
            raise InvalidInput(Field.RECOVERY_PUBLIC_KEY, "is not configured")
        progress = EscrowProgress()

        async def escrow(uow: UnitOfWork, wallet: Wallet, prepared: EncryptionKey) -> None:
            await self._escrow_one(uow, wallet, prepared, progress, actor)

        return await in_batches_with_key(
            self._uow_factory,
            self._batch_size,
            progress,
            escrow,
            cipher=self._cipher,
            key=key,
            dry_run=dry_run,
            on_batch=on_batch,
        )

    async def _escrow_one(
        self,
        uow: UnitOfWork,
        wallet: Wallet,
        key: EncryptionKey,
        progress: EscrowProgress,
        actor: str | None,
    ) -> None:
        if self._escrowing.is_current(await uow.escrows.get(wallet.id)):
            progress.current += 1
            return
        try:
            with await decrypt_seed(self._cipher, wallet, key) as seed:
                escrow = self._escrowing.sealed(wallet.id, seed)
        except WalletKeyMismatch:
            progress.other_key.append(wallet.id)
            return
        except (EnvelopeTampered, KmsKeyMismatch):
            progress.failed.append(wallet.id)
            return
        if escrow is None:  # pragma: no cover - a recovery key is configured (checked above)
            return
        await uow.escrows.put(escrow)
        details = {"recovery_key_id": escrow.recovery_key_id}
        await record(uow, wallet, EventType.ESCROWED, actor, details)
        progress.escrowed += 1
