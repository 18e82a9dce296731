"""ImportEscrows: wallets the database no longer has (restored to an earlier point, or lost),
made again from escrow records kept outside it, under a new caller key.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from application.escrow import Escrowing
from application.get_escrow import EscrowResult
from application.restore_wallets import opened_escrow
from application.wallet_access import record, seal_checked
from domain.audit import EventType, WalletEvent
from domain.errors import EscrowUnreadable, PublicKeyTaken, UserNotFound
from domain.model import Wallet, WalletBinding, utc_now
from domain.ports import Cipher, EscrowOpener, KeyGenerator, UnitOfWork
from domain.recovery import Escrow
from domain.secrets import EncryptionKey


@dataclass
class ImportProgress:
    """Totals of an import. `present` counts records whose wallet the database has already
    (`recovery restore` is for those); `conflicts` lists records whose user has another wallet
    or whose public key is another user's; `unknown_users` records of users that do not exist;
    `unreadable` records the rebuilt key cannot use.
    """

    imported: int = 0
    present: int = 0
    conflicts: list[str] = field(default_factory=list)
    unknown_users: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    @property
    def seen(self) -> int:
        refused = len(self.conflicts) + len(self.unknown_users) + len(self.unreadable)
        return self.imported + self.present + refused


class ImportEscrows:
    """Make the wallet of each escrow record again, for users that exist and have no wallet:
    same wallet id and public key, its seed (opened with the rebuilt recovery key, checked to be
    the record's public key's) sealed under `new_key` and self-checked, its escrow stored, a
    `created` event (details: imported) and a `recovered` one; one unit of work per record.
    A user with another wallet, a public key that is another wallet's, an unknown user or an
    unreadable escrow: the record is refused and listed, nothing written for it. With
    `dry_run`, nothing is written at all. The new key is prepared once, before any unit of work.
    """

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        cipher: Cipher,
        key_generator: KeyGenerator,
        escrowing: Escrowing,
    ) -> None:
        self._uow_factory = uow_factory
        self._cipher = cipher
        self._key_generator = key_generator
        self._escrowing = escrowing

    async def __call__(
        self,
        opener: EscrowOpener,
        new_key: EncryptionKey,
        records: Sequence[EscrowResult],
        *,
        dry_run: bool = False,
        actor: str | None = None,
    ) -> ImportProgress:
        progress = ImportProgress()
        with await self._cipher.prepare(new_key) as prepared:
            for escrow_record in records:
                await self._import_one(
                    escrow_record,
                    opener=opener,
                    key=prepared,
                    progress=progress,
                    dry_run=dry_run,
                    actor=actor,
                )
        return progress

    async def _import_one(  # noqa: PLR0913 - one record, and the run's context
        self,
        escrow_record: EscrowResult,
        *,
        opener: EscrowOpener,
        key: EncryptionKey,
        progress: ImportProgress,
        dry_run: bool,
        actor: str | None,
    ) -> None:
        wallet_id = escrow_record.wallet_id
        escrow = Escrow(
            wallet_id, escrow_record.recovery_key_id, escrow_record.sealed_seed, utc_now()
        )
        async with self._uow_factory() as uow:
            existing = await self._existing(uow, escrow_record, progress)
        if existing:
            return
        binding = WalletBinding(escrow_record.user_id, escrow_record.public_key)
        try:
            with opened_escrow(opener, escrow, binding.public_key, self._key_generator) as seed:
                envelope = await seal_checked(self._cipher, seed, key, binding)
                anew = self._escrowing.sealed(wallet_id, seed)
        except EscrowUnreadable:
            progress.unreadable.append(wallet_id)
            return
        now = utc_now()
        wallet = Wallet(wallet_id, binding.user_id, binding.public_key, envelope, now, now)
        created = WalletEvent.after(
            None, wallet_id, EventType.CREATED, actor, {"imported": "escrow"}
        )
        async with self._uow_factory() as uow:
            try:
                stored = await uow.wallets.add(wallet, created)
            except (PublicKeyTaken, UserNotFound):
                progress.conflicts.append(wallet_id)
                return
            if stored.id != wallet_id:
                progress.conflicts.append(wallet_id)
                return
            await uow.escrows.put(anew or escrow)
            details = {"recovery_key_id": escrow.recovery_key_id, "source": "escrow record"}
            await record(uow, wallet, EventType.RECOVERED, actor, details)
            if not dry_run:
                await uow.commit()
        progress.imported += 1

    @staticmethod
    async def _existing(
        uow: UnitOfWork, escrow_record: EscrowResult, progress: ImportProgress
    ) -> bool:
        """Whether the record is settled before any key is used: its user unknown, its wallet
        there already, or its user with another wallet.
        """
        try:
            wallet = await uow.wallets.get_by_existing_user(escrow_record.user_id)
        except UserNotFound:
            progress.unknown_users.append(escrow_record.wallet_id)
            return True
        if wallet is None:
            return False
        if wallet.public_key == escrow_record.public_key:
            progress.present += 1
        else:
            progress.conflicts.append(escrow_record.wallet_id)
        return True
