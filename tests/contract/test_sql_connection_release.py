"""The SQL unit of work hands its connection back with no transaction open, however it is left,
on SQLite and PostgreSQL: on PostgreSQL asyncpg runs the transaction itself (pg_direct), where
SQLAlchemy's reset on return no longer sees it, and PostgreSQL only warns at a BEGIN inside a
transaction, so one left open would silently join the next unit of work's writes. Also: on
PostgreSQL the hot path's statements and the transaction do not go through SQLAlchemy.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import sqlalchemy.exc
from sqlalchemy import event

from adapters.sql.engine import PoolSettings
from domain.audit import EventType, WalletEvent
from domain.errors import PublicKeyTaken
from domain.model import User, Wallet
from domain.ports import UnitOfWork
from entrypoints.container import Container, open_container
from tests.support import settings_for

TAKEN_KEY = "G" + "T" * 55


@pytest.fixture
async def one_connection(sql_url: str) -> AsyncIterator[Container]:
    """A container whose pool holds a single connection: every unit of work gets the same."""
    async with open_container(settings_for(sql_url, pool=PoolSettings(size=1))) as container:
        yield container


async def _in_transaction(container: Container) -> bool:
    async with container.engine().connect() as connection:
        driver: Any = (await connection.get_raw_connection()).driver_connection
        if hasattr(driver, "is_in_transaction"):
            return bool(driver.is_in_transaction())
        return bool(driver.in_transaction)


async def _commit(uow: UnitOfWork, user: User) -> None:
    await uow.users.add(user)
    await uow.commit()


async def _leave_open(uow: UnitOfWork, user: User) -> None:
    await uow.users.add(user)
    await uow.wallets.get_by_user(user.id)


async def _raise(uow: UnitOfWork, user: User) -> None:
    await uow.users.add(user)
    await uow.wallets.get_by_existing_user(user.id)
    raise LookupError


async def _refused_insert(uow: UnitOfWork, user: User) -> None:
    await uow.users.add(user)
    wallet = Wallet.create_for(user.id, TAKEN_KEY, "wo1$envelope")
    await uow.wallets.add(wallet, WalletEvent.after(None, wallet.id, EventType.CREATED, None))


async def _refused_statement(uow: UnitOfWork, user: User) -> None:
    await uow.users.add(user)
    await uow.events.append(WalletEvent.after(None, "no-such-wallet", EventType.CREATED, None))


Exit = Callable[[UnitOfWork, User], Awaitable[None]]
EXITS: list[tuple[Exit, type[BaseException] | None, bool]] = [
    (_commit, None, True),
    (_leave_open, None, False),
    (_raise, LookupError, False),
    (_refused_insert, PublicKeyTaken, False),
    (_refused_statement, sqlalchemy.exc.IntegrityError, False),
]


@pytest.mark.parametrize(
    ("leave", "raises", "kept"), EXITS, ids=lambda x: getattr(x, "__name__", str(x))
)
async def test_the_connection_goes_back_with_no_transaction_open(
    one_connection: Container, leave: Exit, raises: type[BaseException] | None, kept: bool
) -> None:
    owner = User.register("owner@example.com")
    async with one_connection.unit_of_work() as uow:
        await uow.users.add(owner)
        await uow.wallets.add(Wallet.create_for(owner.id, TAKEN_KEY, "wo1$envelope"))
        await uow.commit()
    user = User.register("ada@example.com")
    if raises is None:
        async with one_connection.unit_of_work() as uow:
            await leave(uow, user)
    else:
        with pytest.raises(raises):
            async with one_connection.unit_of_work() as uow:
                await leave(uow, user)
    assert await _in_transaction(one_connection) is False
    async with one_connection.read_unit_of_work() as reader:
        assert (await reader.users.get(user.id) is not None) is kept
        assert await reader.users.get(owner.id) == owner


async def test_the_hot_statements_skip_sqlalchemy_on_postgresql(one_connection: Container) -> None:
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(str(args[2]).split()[0].upper())

    user = User.register("ada@example.com")
    async with one_connection.unit_of_work() as uow:
        await uow.users.add(user)
        await uow.commit()
    wallet = Wallet.create_for(user.id, TAKEN_KEY, "wo1$envelope")
    engine = one_connection.engine()
    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with one_connection.read_unit_of_work() as reader:
            assert await reader.wallets.get_by_existing_user(user.id) is None
        async with one_connection.unit_of_work() as uow:
            created = WalletEvent.after(None, wallet.id, EventType.CREATED, None)
            assert await uow.wallets.add(wallet, created) == wallet
            await uow.commit()
        async with one_connection.read_unit_of_work() as reader:
            assert await reader.wallets.get_by_user(user.id) == wallet
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    if engine.dialect.name == "postgresql":
        assert sent == []
    else:  # the listener does see what SQLAlchemy sends
        assert sent.count("SELECT") == 2
        assert "INSERT" in sent
