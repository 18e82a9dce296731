"""RestoreWallets: wallets whose caller key was lost, re-sealed under a new caller key from
their escrows, with the recovery key rebuilt from its shares.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from application.batches import in_batches
from application.escrow import Escrowing
from application.wallet_access import UNOPENABLE, hold_wallet, opens, seal_checked, store_envelope
from domain.audit import EventType
from domain.errors import EscrowUnreadable, KmsKeyMismatch
from domain.model import Wallet
from domain.ports import Cipher, EscrowOpener, KeyGenerator, UnitOfWork
from domain.recovery import Escrow, RecoveryKey
from domain.secrets import EncryptionKey, SecretSeed


@dataclass
class RestoreProgress:
    """Running totals of a restore. `without_escrow` lists the wallets that have none;
    `unreadable` those whose escrow the rebuilt key cannot use (another recovery key, damaged,
    not the wallet's seed); `already` counts those the new key opens already (a rerun).
    """

    restored: int = 0
    already: int = 0
    without_escrow: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    last_wallet_id: str | None = None

    @property
    def seen(self) -> int:
        return self.restored + self.already + len(self.without_escrow) + len(self.unreadable)


class RestoreWallets:
    """Re-seal wallets under `new_key` from their escrows, opened with the rebuilt recovery key
    (`opener`): one user's wallet, or every wallet. Each seed's public key must be its wallet's
    (else the wallet is counted unreadable and left as it is); each new envelope passes the
    self-check (SealingFailed stops the run); each restored wallet gets a `recovered` event,
    and its escrow is written anew when the configured recovery key is another one. Wallets the
    new key opens already are skipped, so a run can be repeated; suspended wallets are restored
    too (their status is unchanged), and so are wallets whose second factor was wrapped by a
    key-management key the deployment no longer has (KmsKeyMismatch): their escrow holds the seed.

    Every wallet: in id order, `batch_size` per unit of work, held for update and committed
    batch by batch (resumable). One user's: WalletNotFound. With `dry_run`, nothing is written.
    The new key is prepared once, before any unit of work opens.
    """

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        cipher: Cipher,
        key_generator: KeyGenerator,
        escrowing: Escrowing,
        batch_size: int,
    ) -> None:
        self._uow_factory = uow_factory
        self._cipher = cipher
        self._key_generator = key_generator
        self._escrowing = escrowing
        self._batch_size = batch_size

    async def __call__(  # noqa: PLR0913 - what to restore with, and the run's flags by name
        self,
        opener: EscrowOpener,
        new_key: EncryptionKey,
        *,
        user_id: str | None = None,
        dry_run: bool = False,
        actor: str | None = None,
        on_batch: Callable[[RestoreProgress], None] = lambda _: None,
    ) -> RestoreProgress:
        progress = RestoreProgress()
        with await self._cipher.prepare(new_key) as prepared:

            async def restore(uow: UnitOfWork, wallet: Wallet) -> None:
                await self._restore_one(
                    uow, wallet, opener=opener, key=prepared, progress=progress, actor=actor
                )

            if user_id is None:
                return await in_batches(
                    self._uow_factory,
                    self._batch_size,
                    progress,
                    restore,
                    dry_run=dry_run,
                    on_batch=on_batch,
                )
            async with self._uow_factory() as uow:
                await restore(uow, await hold_wallet(uow, user_id))
                if not dry_run:
                    await uow.commit()
            on_batch(progress)
            return progress

    async def _restore_one(  # noqa: PLR0913 - one step of the run, with its context
        self,
        uow: UnitOfWork,
        wallet: Wallet,
        *,
        opener: EscrowOpener,
        key: EncryptionKey,
        progress: RestoreProgress,
        actor: str | None,
    ) -> None:
        escrow = await uow.escrows.get(wallet.id)
        if escrow is None:
            progress.without_escrow.append(wallet.id)
            return
        # A second factor the backend no longer has (its key lost, or another backend) does not
        # open: the escrow, which holds the plain seed, is what restores such a wallet.
        if await opens(self._cipher, wallet, key, (*UNOPENABLE, KmsKeyMismatch)):
            progress.already += 1
            return
        try:
            envelope, new_escrow = await self._resealed(wallet, escrow, opener, key)
        except EscrowUnreadable:
            progress.unreadable.append(wallet.id)
            return
        details = {"recovery_key_id": escrow.recovery_key_id}
        await store_envelope(
            uow,
            wallet,
            envelope,
            EventType.RECOVERED,
            actor=actor,
            details=details,
            escrow=new_escrow,
        )
        progress.restored += 1

    async def _resealed(
        self, wallet: Wallet, escrow: Escrow, opener: EscrowOpener, key: EncryptionKey
    ) -> tuple[str, Escrow | None]:
        with opened_escrow(opener, escrow, wallet.public_key, self._key_generator) as seed:
            envelope = await seal_checked(self._cipher, seed, key, wallet.binding)
            anew = (
                None
                if self._escrowing.is_current(escrow)
                else self._escrowing.sealed(wallet.id, seed)
            )
        return envelope, anew


def opened_escrow(
    opener: EscrowOpener, escrow: Escrow, public_key: str, key_generator: KeyGenerator
) -> SecretSeed:
    """The seed in the escrow, checked to be under the opener's recovery key and to be the seed
    of `public_key` (EscrowUnreadable, naming the wallet, otherwise). The caller wipes it.
    """
    if escrow.recovery_key_id != RecoveryKey(opener.public_key).key_id:
        raise EscrowUnreadable("it is sealed to another recovery key", escrow.wallet_id)
    try:
        seed = opener.open(escrow.sealed_seed)
    except EscrowUnreadable as unreadable:
        raise EscrowUnreadable(unreadable.reason, escrow.wallet_id) from None
    if key_generator.public_key_of(seed) != public_key:
        seed.wipe()
        raise EscrowUnreadable("it holds another wallet's seed", escrow.wallet_id)
    return seed
