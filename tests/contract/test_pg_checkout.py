"""On PostgreSQL the unit of work takes an idle pooled connection and gives it back without a
pass through SQLAlchemy's greenlet (pg_direct), and waits in line for one outside it too; it
takes the greenlet's way whenever the pool must open a connection, or open one again after it
was invalidated or the server closed it. Whichever way it went, the pool is left as it should
be and no connection attempt is left half-started.
"""

import asyncio
import gc
import secrets
import warnings
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event
from sqlalchemy.pool import QueuePool
from sqlalchemy.util.concurrency import in_greenlet

from adapters.sql.engine import PoolSettings
from domain.audit import EventType, WalletEvent
from domain.model import User, Wallet
from entrypoints.container import Container, open_container
from tests.support import settings_for

pytestmark = pytest.mark.postgres


@pytest.fixture
async def one_connection(clean_postgres_url: str) -> AsyncIterator[Container]:
    async with open_container(
        settings_for(clean_postgres_url, pool=PoolSettings(size=1))
    ) as container:
        yield container


@pytest.fixture
def in_greenlet_at(one_connection: Container) -> Iterator[dict[str, list[bool]]]:
    """For each pool checkout and checkin from now on, whether it ran in SQLAlchemy's greenlet."""
    seen: dict[str, list[bool]] = {"checkout": [], "checkin": []}
    engine = one_connection.engine().sync_engine

    def checkout(*_: Any) -> None:
        seen["checkout"].append(in_greenlet())

    def checkin(*_: Any) -> None:
        seen["checkin"].append(in_greenlet())

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)
    yield seen
    event.remove(engine, "checkout", checkout)
    event.remove(engine, "checkin", checkin)


def _pool(container: Container) -> QueuePool:
    pool = container.engine().sync_engine.pool
    assert isinstance(pool, QueuePool)
    return pool


async def _new_user(container: Container) -> User:
    """A stored user (its INSERT is SQLAlchemy's: the checkin takes the greenlet's way)."""
    user = User.register(f"{secrets.token_hex(6)}@example.com")
    async with container.unit_of_work() as uow:
        await uow.users.add(user)
        await uow.commit()
    return user


async def _hot_round_trip(container: Container, user: User) -> None:
    """A creation's write and a GET's read, of the user's new wallet: two units of work whose
    statements are all asyncpg's.
    """
    wallet = Wallet.create_for(user.id, "G" + secrets.token_hex(28)[:55].upper(), "wo1$envelope")
    async with container.unit_of_work() as uow:
        created = WalletEvent.after(None, wallet.id, EventType.CREATED, None)
        assert await uow.wallets.add(wallet, created) == wallet
        await uow.commit()
    async with container.read_unit_of_work() as reader:
        assert await reader.wallets.get_by_existing_user(user.id) == wallet


def _forget(seen: dict[str, list[bool]]) -> None:
    for ways in seen.values():
        ways.clear()


async def test_an_idle_connection_is_taken_and_given_back_outside_the_greenlet(
    one_connection: Container, in_greenlet_at: dict[str, list[bool]]
) -> None:
    user = await _new_user(one_connection)
    _forget(in_greenlet_at)
    await _hot_round_trip(one_connection, user)
    assert in_greenlet_at == {"checkout": [False, False], "checkin": [False, False]}
    assert _pool(one_connection).checkedout() == 0


async def test_a_unit_of_work_that_used_sqlalchemy_gives_its_connection_back_by_the_greenlet(
    one_connection: Container, in_greenlet_at: dict[str, list[bool]]
) -> None:
    user = User.register("ada@example.com")
    async with one_connection.unit_of_work() as uow:
        await uow.users.add(user)  # a SQLAlchemy statement: its transaction marker is open
    assert in_greenlet_at["checkin"] == [True]
    async with one_connection.read_unit_of_work() as reader:
        assert await reader.users.get(user.id) is None


async def _invalidate_the_pooled_connection(container: Container, _url: str) -> None:
    async with container.engine().connect() as connection:
        await connection.invalidate()


async def _close_the_pooled_connection_from_the_server(container: Container, url: str) -> None:
    async with container.engine().connect() as connection:
        driver: Any = (await connection.get_raw_connection()).driver_connection
        pid = driver.get_server_pid()
    admin = await asyncpg.connect(url)
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()
    for _ in range(100):
        if driver.is_closed():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the driver never saw its connection closed")


@pytest.mark.parametrize(
    "break_it", [_invalidate_the_pooled_connection, _close_the_pooled_connection_from_the_server]
)
async def test_a_connection_to_open_again_is_opened_in_the_greenlet(
    one_connection: Container,
    in_greenlet_at: dict[str, list[bool]],
    clean_postgres_url: str,
    break_it: Any,
) -> None:
    user = await _new_user(one_connection)
    await break_it(one_connection, clean_postgres_url)
    _forget(in_greenlet_at)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await _hot_round_trip(one_connection, user)
        gc.collect()  # a connect() coroutine never awaited would warn as it is collected
    assert [str(w.message) for w in caught] == []
    # Outside the greenlet the pool took the connection, found it must be opened again, and put
    # it back (the first checkin); then the greenlet's checkout opened it.
    assert in_greenlet_at == {"checkout": [True, False], "checkin": [False, False, False]}
    assert _pool(one_connection).checkedout() == 0


async def _hold_the_only_connection(
    container: Container, leave_by: Exception | None = None
) -> tuple[asyncio.Task[None], asyncio.Event]:
    """A task that holds the pool's one connection, in a read-only unit of work, until the event
    is set; it then leaves the unit of work, by raising `leave_by` if given.
    """
    has_it, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with container.read_unit_of_work():
            has_it.set()
            await release.wait()
            if leave_by is not None:
                raise leave_by

    holder = asyncio.create_task(hold())
    await has_it.wait()
    return holder, release


async def test_a_unit_of_work_waits_outside_the_greenlet_for_the_only_connection(
    one_connection: Container, in_greenlet_at: dict[str, list[bool]]
) -> None:
    user = await _new_user(one_connection)
    _forget(in_greenlet_at)
    holder, release = await _hold_the_only_connection(one_connection)
    waiter = asyncio.create_task(_hot_round_trip(one_connection, user))
    await asyncio.sleep(0.05)
    assert not waiter.done()
    release.set()
    await asyncio.wait_for(asyncio.gather(holder, waiter), 5)
    assert in_greenlet_at["checkout"] == [False, False, False]  # holder, waiter, its read
    assert _pool(one_connection).checkedout() == 0


async def test_a_waiter_handed_a_connection_to_open_again_opens_it_in_the_greenlet(
    one_connection: Container, in_greenlet_at: dict[str, list[bool]]
) -> None:
    entered: list[str] = []

    async def read(name: str) -> None:
        async with one_connection.read_unit_of_work() as reader:
            assert await reader.users.get("nobody") is None
            entered.append(name)

    # Left by an error that leaves the connection in doubt: it is discarded, its husk goes back.
    holder, release = await _hold_the_only_connection(one_connection, OSError("in doubt"))
    waiters = []
    for name in ("first", "second"):
        waiters.append(asyncio.create_task(read(name)))
        await asyncio.sleep(0.02)
    assert not any(waiter.done() for waiter in waiters)
    _forget(in_greenlet_at)
    release.set()
    with pytest.raises(OSError, match="in doubt"):
        await asyncio.wait_for(holder, 5)
    await asyncio.wait_for(asyncio.gather(*waiters), 5)
    assert entered == ["first", "second"]
    # The first waiter opened the husk handed to it, in the greenlet, without first trying
    # outside it and putting it back (a checkout outside the greenlet, or a checkin more).
    assert in_greenlet_at["checkout"] == [True, False]
    assert len(in_greenlet_at["checkin"]) == 3  # the husk, then each waiter's
    assert _pool(one_connection).checkedout() == 0
