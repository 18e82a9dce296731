"""What every operation on an existing wallet does first and last: open it, hold it, record it."""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from domain.audit import EventType, WalletEvent
from domain.errors import (
    EnvelopeTampered,
    Field,
    KmsKeyMismatch,
    SealingFailed,
    WalletKeyMismatch,
    WalletNotFound,
)
from domain.model import Wallet, WalletBinding, check_id
from domain.ports import Cipher, KeyGenerator, UnitOfWork
from domain.secrets import EncryptionKey, SecretSeed


async def hold_wallet(uow: UnitOfWork, user_id: str) -> Wallet:
    """The user's wallet, locked for the rest of the unit of work (WalletNotFound if none)."""
    wallet = await uow.wallets.get_by_user(check_id(Field.USER_ID, user_id), for_update=True)
    if wallet is None:
        raise WalletNotFound(user_id)
    return wallet


Prepared = TypeVar("Prepared")


@asynccontextmanager
async def holding_opened(
    uow: UnitOfWork,
    cipher: Cipher,
    user_id: str,
    key: EncryptionKey,
    prepare: Callable[[Wallet, SecretSeed], Awaitable[Prepared]],
) -> AsyncIterator[tuple[Wallet, Prepared]]:
    """Open the user's active wallet with the key and `prepare` what the operation needs from
    its seed (a signature, a new envelope), then, inside `uow`, hold the wallet and give both.

    The opening (which may wait for a key-management backend) and `prepare` run between two
    units of work, so no connection or lock is held meanwhile: a read first (WalletNotFound,
    WalletSuspended, then what `decrypt_seed` raises), then `uow` is opened again and the wallet
    held for update, checked to be still there and active. If its envelope changed in between
    (a concurrent rotation), it is opened and prepared again, there and then, under the lock.
    The body writes and commits; the seed is wiped before the body runs.
    """
    user_id = check_id(Field.USER_ID, user_id)
    async with uow:
        seen = await uow.wallets.get_by_user(user_id)
    if seen is None:
        raise WalletNotFound(user_id)
    seen.ensure_active()
    prepared = await _prepared(cipher, seen, key, prepare)
    async with uow:
        held = await hold_wallet(uow, user_id)
        held.ensure_active()
        if held.encrypted_key != seen.encrypted_key:
            prepared = await _prepared(cipher, held, key, prepare)
        yield held, prepared


async def _prepared(
    cipher: Cipher,
    wallet: Wallet,
    key: EncryptionKey,
    prepare: Callable[[Wallet, SecretSeed], Awaitable[Prepared]],
) -> Prepared:
    with await decrypt_seed(cipher, wallet, key) as seed:
        return await prepare(wallet, seed)


async def decrypt_seed(cipher: Cipher, wallet: Wallet, key: EncryptionKey) -> SecretSeed:
    """The wallet's seed (WalletKeyMismatch if the key is not the wallet's; EnvelopeTampered if
    the envelope is damaged and KmsKeyMismatch if its second factor is another backend key's,
    both naming the wallet). The caller wipes it.
    """
    try:
        return await cipher.decrypt(wallet.encrypted_key, key, wallet.binding)
    except EnvelopeTampered as damaged:
        raise EnvelopeTampered(damaged.reason, wallet.id) from None
    except KmsKeyMismatch as mismatch:
        raise KmsKeyMismatch(mismatch.backend, mismatch.reason, wallet.id) from None


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


async def resealed(
    cipher: Cipher,
    key_generator: KeyGenerator,
    wallet: Wallet,
    key: EncryptionKey,
    new_key: EncryptionKey,
) -> str:
    """The wallet's seed, opened with `key` (as `decrypt_seed`), sealed anew under `new_key` and
    checked (as `seal_checked`).
    """
    with await decrypt_seed(cipher, wallet, key) as seed:
        return await seal_checked(cipher, key_generator, seed, new_key, wallet.binding)


async def store_envelope(  # noqa: PLR0913 - the write, and the event that says why
    uow: UnitOfWork,
    wallet: Wallet,
    envelope: str,
    event_type: EventType,
    *,
    actor: str | None,
    details: dict[str, str] | None = None,
) -> Wallet:
    """Write the held wallet with its seed sealed anew as `envelope`, and record why."""
    changed = wallet.reencrypted(envelope)
    await uow.wallets.update(changed)
    await record(uow, changed, event_type, actor, details)
    return changed


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
