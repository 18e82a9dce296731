"""The read-only unit of work (GET requests): it sees what is committed, cannot commit, and on
SQL runs without a transaction, so it neither waits for a writer nor holds anything meanwhile.
On in-memory, SQLite and PostgreSQL.
"""

import asyncio

import pytest
from sqlalchemy import event

from domain.model import User, Wallet
from entrypoints.container import Container


async def test_a_read_unit_of_work_sees_what_is_committed(
    container: Container, wallet: Wallet, user: User
) -> None:
    async with container.read_unit_of_work() as uow:
        assert await uow.users.get(user.id) == user
        assert await uow.wallets.get_by_user(user.id) == wallet
        assert await uow.wallets.get_by_user("nobody") is None


async def test_a_read_unit_of_work_cannot_commit(container: Container, user: User) -> None:
    async with container.read_unit_of_work() as uow:
        assert await uow.users.get(user.id) == user
        with pytest.raises(RuntimeError, match="read-only"):
            await uow.commit()


async def test_a_read_does_not_wait_for_an_open_writer_nor_see_its_writes(
    container: Container, wallet: Wallet, user: User
) -> None:
    async with container.unit_of_work() as writer:
        await writer.users.add(User.register("bob@example.com"))  # holds SQLite's write lock
        async with asyncio.timeout(2), container.read_unit_of_work() as reader:
            assert await reader.wallets.get_by_user(user.id) == wallet
            assert await reader.users.get_by_email("bob@example.com") is None


async def test_a_sql_read_runs_in_no_transaction(
    container: Container, user: User, database_url: str
) -> None:
    if database_url == "memory://":
        pytest.skip("the in-memory store has no statements")
    sent: list[str] = []
    engine = container.engine().sync_engine

    def record(*args: object) -> None:
        sent.append(str(args[2]).split()[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        async with container.read_unit_of_work() as uow:
            assert await uow.users.get(user.id) == user
            connection = uow._connection
            assert connection is not None
            raw = (await connection.get_raw_connection()).driver_connection
            in_transaction = (
                raw.is_in_transaction() if hasattr(raw, "is_in_transaction") else raw.in_transaction
            )
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert sent == ["SELECT"]
    assert in_transaction is False
