"""CreateUserWallet: the orchestrator that gives a user exactly one wallet."""

from dataclasses import dataclass

from application.escrow import NO_ESCROW, Escrowing
from application.results import WalletResult
from application.wallet_access import decrypt_seed, seal_checked
from domain.audit import EventType, WalletEvent
from domain.errors import Field, WalletExistsUnderAnotherKey, WalletKeyMismatch
from domain.model import Wallet, WalletBinding, check_id
from domain.ports import Cipher, KeyGenerator, UnitOfWork
from domain.recovery import Escrow
from domain.secrets import EncryptionKey


@dataclass(frozen=True, slots=True, repr=False)
class CreateWalletRequest:
    """Create (or fetch) the wallet of `user_id`, its seed encrypted under `encryption_key`."""

    user_id: str
    encryption_key: EncryptionKey
    actor: str | None = None


class CreateUserWallet:
    """Give the user exactly one wallet, atomically and idempotently.

    First, in a unit of work of its own, the user's wallet is read together with the user's
    existence: UserNotFound when there is no such user, before any key is derived or keypair
    generated. Then, outside any unit of work, the key is prepared (stretched, or taken from the
    cache): no connection or lock is held while a key is derived (KeyDerivationBusy when no
    derivation slot frees up in time). If the user has a wallet, check that the key opens it
    (WalletExistsUnderAnotherKey if not, EnvelopeTampered if it is damaged) and return it with
    created=False. Else generate a keypair, encrypt its seed under the key bound to the user and
    public key, and check that the envelope opens back to that public key (SealingFailed if
    not); then, in a second unit of work, insert it with its `created` audit event by `actor`
    (UserNotFound if the user was deleted meanwhile: the foreign key decides), commit, and
    return it with created=True. The database's one-wallet-per-user constraint decides races:
    the loser returns the winner's wallet as a replay, once the key opens it. Any exception
    rolls the insert back, leaving nothing behind.

    With a recovery key configured (`escrowing`), the seed is also sealed to it and stored with
    the wallet, in the same unit of work: a wallet is never committed without its escrow.

    Opening and sealing happen between units of work, never inside one: with a key-management
    backend they wait for it (KmsUnavailable, KmsRefused, KmsKeyMismatch), and no connection
    waits with them.

    Reading first costs no extra round trip: the read is needed anyway, and its unit of work
    closes before the derivation starts. An unknown user costs that one read, whatever the key.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        key_generator: KeyGenerator,
        cipher: Cipher,
        escrowing: Escrowing = NO_ESCROW,
    ) -> None:
        self._uow = uow
        self._key_generator = key_generator
        self._cipher = cipher
        self._escrowing = escrowing

    async def __call__(self, request: CreateWalletRequest) -> WalletResult:
        user_id = check_id(Field.USER_ID, request.user_id)
        async with self._uow as uow:
            existing = await uow.wallets.get_by_existing_user(user_id)
        with await self._cipher.prepare(request.encryption_key) as key:
            if existing is not None:
                await self._check_key_opens(existing, key)
                return WalletResult.of(existing)
            return await self._create(user_id, key, request.actor)

    async def _create(self, user_id: str, key: EncryptionKey, actor: str | None) -> WalletResult:
        wallet, escrow = await self._new_wallet(user_id, key)
        created = WalletEvent.after(None, wallet.id, EventType.CREATED, actor)
        async with self._uow as uow:
            stored = await uow.wallets.add(wallet, created)
            if stored.id == wallet.id:
                if escrow is not None:
                    await uow.escrows.put(escrow)
                await uow.commit()
        if stored.id != wallet.id:
            await self._check_key_opens(stored, key)
            return WalletResult.of(stored)
        return WalletResult.of(stored, created=True)

    async def _new_wallet(self, user_id: str, key: EncryptionKey) -> tuple[Wallet, Escrow | None]:
        """A new keypair, its seed sealed under the key, and proof the envelope opens to it;
        and its escrow, when a recovery key is configured.
        """
        keypair = self._key_generator.generate()
        binding = WalletBinding(user_id, keypair.public_key)
        with keypair.seed:
            envelope = await seal_checked(
                self._cipher, self._key_generator, keypair.seed, key, binding
            )
            wallet = Wallet.create_for(user_id, keypair.public_key, envelope)
            return wallet, self._escrowing.sealed(wallet.id, keypair.seed)

    async def _check_key_opens(self, wallet: Wallet, key: EncryptionKey) -> None:
        try:
            (await decrypt_seed(self._cipher, wallet, key)).wipe()
        except WalletKeyMismatch:
            raise WalletExistsUnderAnotherKey(wallet.user_id) from None
