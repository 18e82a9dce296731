"""What every operation on an existing wallet does first and last: hold it, open it, record it."""

from domain.audit import EventType, WalletEvent
from domain.errors import EnvelopeTampered, Field, SealingFailed, WalletKeyMismatch, WalletNotFound
from domain.model import Wallet, WalletBinding, check_id
from domain.ports import Cipher, KeyGenerator, UnitOfWork
from domain.secrets import EncryptionKey, SecretSeed


async def hold_wallet(uow: UnitOfWork, user_id: str) -> Wallet:
    """The user's wallet, locked for the rest of the unit of work (WalletNotFound if none)."""
    wallet = await uow.wallets.get_by_user(check_id(Field.USER_ID, user_id), for_update=True)
    if wallet is None:
        raise WalletNotFound(user_id)
    return wallet


async def decrypt_seed(cipher: Cipher, wallet: Wallet, key: EncryptionKey) -> SecretSeed:
    """The wallet's seed (WalletKeyMismatch if the key is not the wallet's, EnvelopeTampered if
    the envelope is damaged, naming the wallet). The caller wipes it.
    """
    try:
        return await cipher.decrypt(wallet.encrypted_key, key, wallet.binding)
    except EnvelopeTampered as damaged:
        raise EnvelopeTampered(damaged.reason, wallet.id) from None


async def seal_checked(
    cipher: Cipher,
    key_generator: KeyGenerator,
    seed: SecretSeed,
    key: EncryptionKey,
    binding: WalletBinding,
) -> str:
    """The seed sealed under the key, after proof that the envelope opens back to the binding's
    public key (SealingFailed if not): a cipher bug must never store a wallet nobody can open.
    """
    envelope = await cipher.encrypt(seed, key, binding)
    try:
        reopened = await cipher.decrypt(envelope, key, binding)
    except (WalletKeyMismatch, EnvelopeTampered):  # a store failure stays what it is
        raise SealingFailed from None
    with reopened:
        if key_generator.public_key_of(reopened) != binding.public_key:
            raise SealingFailed
    return envelope


async def record(
    uow: UnitOfWork,
    wallet: Wallet,
    event_type: EventType,
    actor: str | None,
    details: dict[str, str] | None = None,
) -> WalletEvent:
    """Append the next event of an existing wallet's audit chain (the wallet must be held).
    A new wallet's `created` event goes in with the wallet itself (`WalletRepository.add`).
    """
    previous = await uow.events.last(wallet.id)
    event = WalletEvent.after(previous, wallet.id, event_type, actor, details)
    await uow.events.append(event)
    return event
