"""The loop every bulk command shares: wallets in id order, one unit of work per batch."""

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from domain.model import Wallet
from domain.ports import UnitOfWork


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
