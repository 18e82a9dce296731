"""RotateAllKeys: move every wallet that the old key opens to the new key, batch by batch."""

from collections.abc import Callable
from dataclasses import dataclass, field

from application.batches import in_batches
from application.escrow import NO_ESCROW, Escrowing
from application.wallet_access import opens, resealed, store_envelope
from domain.audit import EventType
from domain.errors import EnvelopeTampered, WalletKeyMismatch
from domain.model import Wallet
from domain.ports import Cipher, UnitOfWork
from domain.secrets import EncryptionKey


@dataclass
class RotationProgress:
    """Running totals of a bulk rotation. `unopenable` lists wallets neither key opens."""

    rotated: int = 0
    already_rotated: int = 0
    unopenable: list[str] = field(default_factory=list)
    last_wallet_id: str | None = None

    @property
    def seen(self) -> int:
        return self.rotated + self.already_rotated + len(self.unopenable)


class RotateAllKeys:
    """Re-seal, under `new_key`, every wallet that `old_key` opens.

    Wallets are taken in id order, `batch_size` per unit of work, each batch held for update and
    committed on its own: a crash loses at most the batch in progress, and running again
    resumes, since wallets the new key already opens are skipped (counted as already rotated).
    Wallets that neither key opens, or whose envelope is damaged, are counted and listed by id,
    never changed. With `dry_run`, nothing is written (each batch is rolled back). `on_batch` is
    called after each batch with the running totals. Suspended wallets are rotated too: a
    deployment-wide key change must not leave them behind. Both keys are prepared once per run,
    before any unit of work opens; only wallets sealed at other key-derivation parameters need a
    derivation inside a batch.
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
        old_key: EncryptionKey,
        new_key: EncryptionKey,
        *,
        dry_run: bool = False,
        actor: str | None = None,
        on_batch: Callable[[RotationProgress], None] = lambda _: None,
    ) -> RotationProgress:
        with await self._cipher.prepare(old_key) as old, await self._cipher.prepare(new_key) as new:
            return await self._rotate_all(old, new, dry_run=dry_run, actor=actor, on_batch=on_batch)

    async def _rotate_all(
        self,
        old_key: EncryptionKey,
        new_key: EncryptionKey,
        *,
        dry_run: bool,
        actor: str | None,
        on_batch: Callable[[RotationProgress], None],
    ) -> RotationProgress:
        async def rotate(uow: UnitOfWork, wallet: Wallet) -> None:
            await self._rotate_one(
                uow, wallet, old_key=old_key, new_key=new_key, progress=progress, actor=actor
            )

        progress = RotationProgress()
        return await in_batches(
            self._uow_factory,
            self._batch_size,
            progress,
            rotate,
            dry_run=dry_run,
            on_batch=on_batch,
        )

    async def _rotate_one(  # noqa: PLR0913 - one step of the batch, with its context
        self,
        uow: UnitOfWork,
        wallet: Wallet,
        *,
        old_key: EncryptionKey,
        new_key: EncryptionKey,
        progress: RotationProgress,
        actor: str | None,
    ) -> None:
        if await opens(self._cipher, wallet, new_key):
            progress.already_rotated += 1
            return
        try:
            envelope, escrow = await resealed(
                self._cipher,
                wallet,
                old_key,
                new_key,
                escrowing=self._escrowing,
            )
        except (WalletKeyMismatch, EnvelopeTampered):
            progress.unopenable.append(wallet.id)
            return
        await store_envelope(
            uow,
            wallet,
            envelope,
            EventType.ROTATED,
            actor=actor,
            details={"bulk": "true"},
            escrow=escrow,
        )
        progress.rotated += 1
