"""WalletCreations on any UnitOfWork: each new wallet stored in a transaction of its own."""

from collections.abc import Callable

from domain.audit import WalletEvent
from domain.model import Wallet
from domain.ports import UnitOfWork
from domain.recovery import Escrow


class TransactionalWalletCreations:
    """Stores each new wallet in a unit of work of its own: the wallet with its first event,
    then its escrow, then the commit; a user who has a wallet already gets it back, and nothing
    is committed. For the stores where that takes more than one statement (memory, SQLite);
    PostgreSQL's is one statement (pg_creations).
    """

    add_first = False
    """A transaction that finds a wallet is no cheaper than the read it could have been, and
    on SQLite it would queue behind every writer for the one write lock.
    """

    def __init__(self, units: Callable[[], UnitOfWork]) -> None:
        self._units = units

    async def add(self, wallet: Wallet, created: WalletEvent, escrow: Escrow | None) -> Wallet:
        async with self._units() as uow:
            stored = await uow.wallets.add(wallet, created)
            if stored.id == wallet.id:
                if escrow is not None:
                    await uow.escrows.put(escrow)
                await uow.commit()
        return stored
