"""The loop every bulk command shares: wallets in id order, one unit of work per batch."""

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from domain.model import Wallet
from domain.ports import Cipher, UnitOfWork
from domain.secrets import EncryptionKey


class BatchProgress(Protocol):
    """Running totals of a bulk command; `last_wallet_id` is where the next batch starts."""

    last_wallet_id: str | None


Progress = TypeVar("Progress", bound=BatchProgress)


async def in_batches(  # noqa: PLR0913 - the loop's inputs, the flags by name
    uow_factory: Callable[[], UnitOfWork],
    batch_size: int,
    progress: Progress,
    step: Callable[[UnitOfWork, Wallet], Awaitable[None]],
    *,
    dry_run: bool,
    on_batch: Callable[[Progress], None],
) -> Progress:
    """Call `step` on every wallet after `progress.last_wallet_id`, in id order, `batch_size`
    per unit of work, each batch held for update and committed on its own (rolled back with
    `dry_run`): a crash loses at most the batch in progress, and a run that starts again
    resumes. `on_batch` is told the running totals after each batch.
    """
    while True:
        async with uow_factory() as uow:
            batch = await uow.wallets.page_for_update(progress.last_wallet_id, batch_size)
            for wallet in batch:
                await step(uow, wallet)
                progress.last_wallet_id = wallet.id
            if not dry_run:
                await uow.commit()
        on_batch(progress)
        if len(batch) < batch_size:
            return progress


async def in_batches_with_key(  # noqa: PLR0913 - `in_batches`' inputs, and the key
    uow_factory: Callable[[], UnitOfWork],
    batch_size: int,
    progress: Progress,
    step: Callable[[UnitOfWork, Wallet, EncryptionKey], Awaitable[None]],
    *,
    cipher: Cipher,
    key: EncryptionKey,
    dry_run: bool,
    on_batch: Callable[[Progress], None],
) -> Progress:
    """`in_batches`, with the caller's `key` prepared once, before any unit of work opens, and
    given to every step.
    """
    with await cipher.prepare(key) as prepared:

        async def keyed(uow: UnitOfWork, wallet: Wallet) -> None:
            await step(uow, wallet, prepared)

        return await in_batches(
            uow_factory, batch_size, progress, keyed, dry_run=dry_run, on_batch=on_batch
        )
