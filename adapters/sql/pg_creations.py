"""WalletCreations on PostgreSQL: each new wallet stored by one statement, which is atomic on its
own, so no BEGIN and no COMMIT go with it (two round trips of the three a transaction takes).
"""

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.pg_repositories import PgWalletRepository
from adapters.sql.unit_of_work import SqlUnitOfWork
from adapters.wallet_creations import TransactionalWalletCreations
from domain.audit import WalletEvent
from domain.model import Wallet
from domain.ports import UnitOfWork, WalletCreations
from domain.recovery import Escrow


def sql_wallet_creations(
    engine: AsyncEngine,
    transactional: Callable[[], UnitOfWork],
    autocommit: Callable[[], SqlUnitOfWork],
) -> WalletCreations:
    """The engine's WalletCreations: by one statement on PostgreSQL (`autocommit` units of
    work), in `transactional` units of work elsewhere (SQLite).
    """
    if engine.dialect.name == "postgresql":
        return PgWalletCreations(autocommit)
    return TransactionalWalletCreations(transactional)


class PgWalletCreations:
    """Stores each new wallet by one statement (`PgWalletRepository.add_alone`) in a unit of
    work without a transaction (`units` makes them: SqlUnitOfWork with `autocommit`), whose
    deadline, handling of a lost connection and StoreUnavailable are a unit of work's. A user
    who has a wallet already gets it back from the same statement (or, if it was committed while
    that ran, from a second one in the same unit of work).
    """

    add_first = True
    """The statement that finds the user's wallet returns it: a replay costs the round trip
    its read would have."""

    def __init__(self, units: Callable[[], SqlUnitOfWork]) -> None:
        self._units = units

    async def add(self, wallet: Wallet, created: WalletEvent, escrow: Escrow | None) -> Wallet:
        async with self._units() as uow:
            wallets = uow.wallets
            if not isinstance(wallets, PgWalletRepository):
                raise TypeError("PgWalletCreations stores wallets on PostgreSQL only")
            return await wallets.add_alone(wallet, created, escrow)
