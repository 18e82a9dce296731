"""The SQL adapters' failure contract, on SQLite and PostgreSQL: a store that cannot do the work
now (unreachable, deadline passed, connection lost) raises StoreUnavailable, naming the kind of
failure; an error of the request itself leaves as it is. Either way, a connection left in doubt
is discarded, never handed out again.
"""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy.exc
from sqlalchemy import event

from adapters.sql.engine import PoolSettings
from adapters.sql.unit_of_work import SqlUnitOfWork
from domain.audit import EventType, WalletEvent
from domain.errors import StoreUnavailable
from domain.model import User, Wallet
from entrypoints.container import Container, open_container
from harness.servers import free_port
from tests.support import settings_for

SQL_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
DEADLINE_SECONDS = 0.3


@pytest.fixture(params=SQL_BACKENDS)
async def unreachable_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "postgres":
        yield f"postgresql://postgres@127.0.0.1:{free_port()}/wallets"  # nothing listens there
        return
    yield f"sqlite:///{tmp_path}/no-such-directory/wallets.db"
    # aiosqlite tells the worker thread of a connection that failed to open to stop, without
    # waiting for it: let it finish before this test's event loop closes under it.
    await asyncio.sleep(0.1)


@pytest.fixture
async def unreachable(unreachable_url: str) -> AsyncIterator[Container]:
    settings = settings_for(unreachable_url, pool=PoolSettings(connect_timeout=2.0))
    async with open_container(settings, apply_migrations=False) as container:
        yield container


@pytest.fixture
async def sql_container(sql_url: str) -> AsyncIterator[Container]:
    # A short busy timeout: a SQLite connection given up at the deadline is closed only once
    # the statement its thread is blocked in gives up too.
    pool = PoolSettings(sqlite_busy_timeout_ms=1000)
    async with open_container(settings_for(sql_url, pool=pool)) as ready:
        yield ready


def _assert_names_its_cause(raised: pytest.ExceptionInfo[StoreUnavailable]) -> None:
    cause = raised.value.__cause__
    assert cause is not None
    assert raised.value.cause == type(cause).__name__


async def test_a_unit_of_work_on_an_unreachable_database_raises_store_unavailable(
    unreachable: Container,
) -> None:
    with pytest.raises(StoreUnavailable) as raised:
        async with unreachable.unit_of_work():
            pass
    _assert_names_its_cause(raised)


async def test_reading_the_salt_of_an_unreachable_database_raises_store_unavailable(
    unreachable: Container,
) -> None:
    with pytest.raises(StoreUnavailable) as raised:
        await unreachable.deployment_salt()()
    _assert_names_its_cause(raised)


async def test_migrating_an_unreachable_database_raises_store_unavailable(
    unreachable_url: str,
) -> None:
    settings = settings_for(unreachable_url, pool=PoolSettings(connect_timeout=2.0))
    with pytest.raises(StoreUnavailable) as raised:
        async with open_container(settings):
            pass
    _assert_names_its_cause(raised)


async def _stored_wallet(container: Container) -> Wallet:
    user = User.register("ada@example.com")
    wallet = Wallet.create_for(user.id, "G" + "A" * 55, "wo1$envelope")
    async with container.unit_of_work() as uow:
        assert await uow.users.add(user)
        await uow.wallets.add(wallet)
        await uow.commit()
    return wallet


async def test_a_deadline_passed_waiting_for_a_lock_is_store_unavailable(
    sql_container: Container,
) -> None:
    wallet = await _stored_wallet(sql_container)
    engine = sql_container.engine()
    async with SqlUnitOfWork(engine) as holder:  # no deadline of its own
        await holder.wallets.get_by_user(wallet.user_id, for_update=True)
        with pytest.raises(StoreUnavailable) as raised:
            async with SqlUnitOfWork(engine, timeout=DEADLINE_SECONDS) as waiter:
                await waiter.wallets.get_by_user(wallet.user_id, for_update=True)
    assert raised.value.cause == "TimeoutError"
    assert not raised.value.waiting_for_connection
    async with sql_container.unit_of_work() as uow:
        assert await uow.wallets.get_by_user(wallet.user_id) == wallet


async def test_a_deadline_passed_waiting_for_a_pooled_connection_is_store_unavailable(
    sql_url: str,
) -> None:
    settings = settings_for(sql_url, pool=PoolSettings(size=1, acquire_timeout=30))
    async with open_container(settings) as container:
        engine = container.engine()
        async with SqlUnitOfWork(engine):  # holds the pool's only connection
            with pytest.raises(StoreUnavailable) as raised:
                async with SqlUnitOfWork(engine, timeout=DEADLINE_SECONDS):
                    pass
        assert raised.value.cause == "TimeoutError"
        assert raised.value.waiting_for_connection
        async with container.unit_of_work() as uow:
            assert await uow.users.get("anyone") is None


async def test_a_statement_the_database_refuses_is_not_translated(sql_container: Container) -> None:
    orphan = WalletEvent.after(None, "no-such-wallet", EventType.CREATED, None)
    with pytest.raises(sqlalchemy.exc.IntegrityError):
        async with sql_container.unit_of_work() as uow:
            await uow.events.append(orphan)


@pytest.mark.postgres
async def test_a_missing_table_is_not_translated(empty_postgres_url: str) -> None:
    settings = settings_for(empty_postgres_url)
    async with open_container(settings, apply_migrations=False) as container:
        with pytest.raises(sqlalchemy.exc.ProgrammingError):
            async with container.unit_of_work() as uow:
                await uow.users.get("anyone")


def _count_discards(container: Container) -> list[object]:
    discarded: list[object] = []

    def on_invalidate(_dbapi_connection: Any, record: Any, _error: object) -> None:
        discarded.append(record)

    event.listen(container.engine().sync_engine, "invalidate", on_invalidate)
    return discarded


async def _leave_by(container: Container, error: BaseException) -> None:
    async with container.unit_of_work() as uow:
        await uow.users.get("anyone")
        raise error


async def test_a_lost_connection_discards_it_then_raises_store_unavailable(
    sql_container: Container,
) -> None:
    discarded = _count_discards(sql_container)
    with pytest.raises(StoreUnavailable) as raised:
        await _leave_by(sql_container, ConnectionResetError())
    assert raised.value.cause == "ConnectionResetError"
    assert len(discarded) == 1
    async with sql_container.unit_of_work() as uow:
        assert await uow.users.get("anyone") is None


async def test_other_errors_leave_as_they_are_and_keep_the_connection(
    sql_container: Container,
) -> None:
    discarded = _count_discards(sql_container)
    with pytest.raises(LookupError):
        await _leave_by(sql_container, LookupError())
    assert discarded == []


async def test_a_cancellation_is_never_translated(sql_container: Container) -> None:
    discarded = _count_discards(sql_container)
    with pytest.raises(asyncio.CancelledError):
        await _leave_by(sql_container, asyncio.CancelledError())
    assert len(discarded) == 1
