"""What every operation on an existing wallet does first and last: open it, hold it, record it."""

import hmac
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import ExitStack, asynccontextmanager
from typing import NamedTuple, Protocol, TypeVar

from application.escrow import NO_ESCROW, Escrowing
from domain.audit import EventType, WalletEvent
from domain.errors import (
    DomainError,
    EnvelopeTampered,
    Field,
    KmsKeyMismatch,
    SealingFailed,
    WalletKeyMismatch,
    WalletNotFound,
)
from domain.model import Wallet, WalletBinding, check_id
from domain.ports import Cipher, UnitOfWork
from domain.recovery import Escrow
from domain.secrets import EncryptionKey, SecretSeed


async def hold_wallet(uow: UnitOfWork, user_id: str) -> Wallet:
    """The user's wallet, locked for the rest of the unit of work (WalletNotFound if none)."""
    wallet = await uow.wallets.get_by_user(check_id(Field.USER_ID, user_id), for_update=True)
    if wallet is None:
        raise WalletNotFound(user_id)
    return wallet


Prepared = TypeVar("Prepared")


class Screen(Protocol):
    """Judges wallets about to be used for an operation, and raises to refuse it: called with
    the wallets as read, before any is opened (`held` False), and again with them held for
    update in the unit of work that records the operation (`held` True), where it may write.
    """

    async def __call__(
        self, uow: UnitOfWork, wallets: tuple[Wallet, ...], *, held: bool
    ) -> None: ...


async def read_active(
    uow: UnitOfWork, user_ids: Sequence[str], screen: Screen | None = None
) -> tuple[Wallet, ...]:
    """The wallets of these users (ids already checked), read in one unit of work and in the
    order given: WalletNotFound or WalletSuspended for the first that has none or is suspended;
    then whatever `screen` raises.
    """
    async with uow:
        seen = [await uow.wallets.get_by_user(user_id) for user_id in user_ids]
        wallets: list[Wallet] = []
        for user_id, wallet in zip(user_ids, seen, strict=True):
            if wallet is None:
                raise WalletNotFound(user_id)
            wallet.ensure_active()
            wallets.append(wallet)
        if screen is not None:
            await screen(uow, tuple(wallets), held=False)
    return tuple(wallets)


@asynccontextmanager
async def holding_opened(  # noqa: PLR0913, PLR0917 - the wallet, its key, what to do with it
    uow: UnitOfWork,
    cipher: Cipher,
    user_id: str,
    key: EncryptionKey,
    prepare: Callable[[Wallet, SecretSeed], Awaitable[Prepared]],
    screen: Screen | None = None,
) -> AsyncIterator[tuple[Wallet, Prepared]]:
    """Open the user's active wallet with the key and `prepare` what the operation needs from
    its seed (a signature, a new envelope), then, inside `uow`, hold the wallet and give both:
    `holding_all_opened` for one wallet, read first with `read_active` (WalletNotFound,
    WalletSuspended, then what `decrypt_seed` raises).
    """
    (seen,) = await read_active(uow, (check_id(Field.USER_ID, user_id),), screen)

    async def prepare_one(wallets: tuple[Wallet, ...], seeds: tuple[SecretSeed, ...]) -> Prepared:
        return await prepare(wallets[0], seeds[0])

    async with holding_all_opened(uow, cipher, ((seen, key),), prepare_one, screen) as (
        held,
        prepared,
    ):
        yield held[0], prepared


@asynccontextmanager
async def holding_all_opened(
    uow: UnitOfWork,
    cipher: Cipher,
    seen: Sequence[tuple[Wallet, EncryptionKey]],
    prepare: Callable[[tuple[Wallet, ...], tuple[SecretSeed, ...]], Awaitable[Prepared]],
    screen: Screen | None = None,
) -> AsyncIterator[tuple[tuple[Wallet, ...], Prepared]]:
    """Open wallets already read (each with its key) and `prepare` what the operation needs
    from their seeds, then, inside `uow`, hold them all and give them (in the order given) with
    what was prepared.

    The opening (which may wait for a key-management backend) and `prepare` run outside any
    unit of work, so no connection or lock is held meanwhile. Then `uow` is opened and the
    wallets held for update (in user-id order, so that two operations on the same wallets
    cannot deadlock), each checked to be still there and active, and `screen`ed (held). If an
    envelope changed in between (a concurrent rotation), all are opened and prepared again,
    there and then, under the locks. The body writes and commits; the seeds are wiped before it
    runs.
    """
    keys = tuple(key for _, key in seen)
    prepared = await _prepared(cipher, seen, prepare)
    async with uow:
        by_user = {
            wallet.user_id: await hold_wallet(uow, wallet.user_id)
            for wallet in sorted((wallet for wallet, _ in seen), key=lambda w: w.user_id)
        }
        held = tuple(by_user[wallet.user_id] for wallet, _ in seen)
        for wallet in held:
            wallet.ensure_active()
        if screen is not None:
            await screen(uow, held, held=True)
        if any(h.encrypted_key != s.encrypted_key for h, (s, _) in zip(held, seen, strict=True)):
            prepared = await _prepared(cipher, tuple(zip(held, keys, strict=True)), prepare)
        yield held, prepared


async def _prepared(
    cipher: Cipher,
    openings: Sequence[tuple[Wallet, EncryptionKey]],
    prepare: Callable[[tuple[Wallet, ...], tuple[SecretSeed, ...]], Awaitable[Prepared]],
) -> Prepared:
    with ExitStack() as opened:
        seeds = [
            opened.enter_context(await decrypt_seed(cipher, wallet, key))
            for wallet, key in openings
        ]
        return await prepare(tuple(wallet for wallet, _ in openings), tuple(seeds))


async def decrypt_seed(cipher: Cipher, wallet: Wallet, key: EncryptionKey) -> SecretSeed:
    """The wallet's seed (WalletKeyMismatch if the key is not the wallet's; EnvelopeTampered if
    the envelope is damaged and KmsKeyMismatch if its second factor is another backend key's,
    both naming the wallet). The caller wipes it.
    """
    return await _naming_wallet(wallet, cipher.decrypt(wallet.encrypted_key, key, wallet.binding))


async def verify_key(cipher: Cipher, wallet: Wallet, key: EncryptionKey) -> None:
    """Returns if the key opens the wallet, raises as `decrypt_seed` does if not; the seed is
    not handed out (`Cipher.verify`: a key that opened this envelope before may be proven
    without opening it again).
    """
    await _naming_wallet(wallet, cipher.verify(wallet.encrypted_key, key, wallet.binding))


Opened = TypeVar("Opened")


async def _naming_wallet(wallet: Wallet, opening: Awaitable[Opened]) -> Opened:
    try:
        return await opening
    except EnvelopeTampered as damaged:
        raise EnvelopeTampered(damaged.reason, wallet.id) from None
    except KmsKeyMismatch as mismatch:
        raise KmsKeyMismatch(mismatch.backend, mismatch.reason, wallet.id) from None


UNOPENABLE: tuple[type[DomainError], ...] = (WalletKeyMismatch, EnvelopeTampered)
"""What opening a wallet with a key that is not its own, or a damaged envelope, raises."""


async def opens(
    cipher: Cipher,
    wallet: Wallet,
    key: EncryptionKey,
    unopenable: tuple[type[DomainError], ...] = UNOPENABLE,
) -> bool:
    """Whether the key opens the wallet (`verify_key`); False when that raises one of
    `unopenable`, and any other error is raised.
    """
    try:
        await verify_key(cipher, wallet, key)
    except unopenable:
        return False
    return True


async def seal_checked(
    cipher: Cipher, seed: SecretSeed, key: EncryptionKey, binding: WalletBinding
) -> str:
    """The seed sealed under the key, after proof that the envelope opens back to that very
    seed (SealingFailed if not): a cipher bug must never store a wallet nobody can open.

    The seed must be the binding's public key's already: generated with it, or opened from an
    envelope or escrow checked to hold it. Comparing the seeds then proves what deriving the
    public key again would, without a second ed25519 derivation.
    """
    envelope = await cipher.encrypt(seed, key, binding)
    try:
        reopened = await cipher.decrypt(envelope, key, binding)
    except (WalletKeyMismatch, EnvelopeTampered):  # a store failure stays what it is
        raise SealingFailed from None
    with reopened:
        if not hmac.compare_digest(reopened.reveal(), seed.reveal()):
            raise SealingFailed
    return envelope


class Resealed(NamedTuple):
    """A wallet's seed sealed anew, and its escrow under the recovery key (None without one)."""

    envelope: str
    escrow: Escrow | None


async def resealed(
    cipher: Cipher,
    wallet: Wallet,
    key: EncryptionKey,
    new_key: EncryptionKey,
    *,
    escrowing: Escrowing = NO_ESCROW,
) -> Resealed:
    """The wallet's seed, opened with `key` (as `decrypt_seed`), sealed anew under `new_key` and
    checked (as `seal_checked`), and escrowed again while it is open.
    """
    with await decrypt_seed(cipher, wallet, key) as seed:
        envelope = await seal_checked(cipher, seed, new_key, wallet.binding)
        return Resealed(envelope, escrowing.sealed(wallet.id, seed))


async def store_envelope(  # noqa: PLR0913 - the write, and the event that says why
    uow: UnitOfWork,
    wallet: Wallet,
    envelope: str,
    event_type: EventType,
    *,
    actor: str | None,
    details: dict[str, str] | None = None,
    escrow: Escrow | None = None,
) -> Wallet:
    """Write the held wallet with its seed sealed anew as `envelope` (and its escrow anew, if
    given), and record why.
    """
    changed = wallet.reencrypted(envelope)
    await uow.wallets.update(changed)
    if escrow is not None:
        await uow.escrows.put(escrow)
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
