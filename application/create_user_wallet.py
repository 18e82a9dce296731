"""CreateUserWallet: the orchestrator that gives a user exactly one wallet."""

from dataclasses import dataclass

from application.results import WalletResult
from application.wallet_access import decrypt_seed, seal_checked
from domain.audit import EventType, WalletEvent
from domain.errors import Field, WalletExistsUnderAnotherKey, WalletKeyMismatch
from domain.model import Wallet, WalletBinding, check_id
from domain.ports import Cipher, KeyGenerator, UnitOfWork
from domain.secrets import EncryptionKey


@dataclass(frozen=True, slots=True, repr=False)
class CreateWalletRequest:
    """Create (or fetch) the wallet of `user_id`, its seed encrypted under `encryption_key`."""

    user_id: str
    encryption_key: EncryptionKey
    actor: str | None = None


class CreateUserWallet:
    """Give the user exactly one wallet, atomically and idempotently.

    In one unit of work: if the user has a wallet, check that the key opens it
    (WalletExistsUnderAnotherKey if not, EnvelopeTampered if it is damaged) and return it with
    created=False; else generate a keypair, encrypt its seed under the key bound to the user and
    public key, check that the envelope opens back to that public key (SealingFailed if not),
    insert it with its `created` audit event by `actor` (UserNotFound when the user does not
    exist: the foreign key decides), commit, and return it with created=True. The database's
    one-wallet-per-user constraint decides races: the loser returns the winner's wallet as a
    replay. Any exception rolls everything back, leaving nothing behind.
    """

    def __init__(self, uow: UnitOfWork, key_generator: KeyGenerator, cipher: Cipher) -> None:
        self._uow = uow
        self._key_generator = key_generator
        self._cipher = cipher

    async def __call__(self, request: CreateWalletRequest) -> WalletResult:
        user_id = check_id(Field.USER_ID, request.user_id)
        async with self._uow as uow:
            existing = await uow.wallets.get_by_user(user_id)
            if existing is not None:
                await self._check_key_opens(existing, request.encryption_key)
                return WalletResult.of(existing)
            wallet = await self._new_wallet(user_id, request.encryption_key)
            created = WalletEvent.after(None, wallet.id, EventType.CREATED, request.actor)
            # The user's existence is proven by the insert (foreign key), not by a lookup.
            stored = await uow.wallets.add(wallet, created)
            if stored.id != wallet.id:
                await self._check_key_opens(stored, request.encryption_key)
                return WalletResult.of(stored)
            await uow.commit()
            return WalletResult.of(stored, created=True)

    async def _new_wallet(self, user_id: str, key: EncryptionKey) -> Wallet:
        """A new keypair, its seed sealed under the key, and proof the envelope opens to it."""
        keypair = self._key_generator.generate()
        binding = WalletBinding(user_id, keypair.public_key)
        with keypair.seed:
            envelope = await seal_checked(
                self._cipher, self._key_generator, keypair.seed, key, binding
            )
        return Wallet.create_for(user_id, keypair.public_key, envelope)

    async def _check_key_opens(self, wallet: Wallet, key: EncryptionKey) -> None:
        try:
            (await decrypt_seed(self._cipher, wallet, key)).wipe()
        except WalletKeyMismatch:
            raise WalletExistsUnderAnotherKey(wallet.user_id) from None
