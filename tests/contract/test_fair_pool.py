"""Units of work waiting for a pooled connection get one in the order they asked, on SQLite and
PostgreSQL (adapters/sql/fair_pool): one that asks while others wait queues behind them, even
when a connection has just come back; and a waiter that gives up after a connection was handed
to it passes it on, so none is lost.
"""

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest
from sqlalchemy.pool import QueuePool

from adapters.sql.engine import PoolSettings
from domain.errors import StoreUnavailable
from entrypoints.container import Container, open_container
from tests.support import settings_for


@pytest.fixture
async def one_connection(sql_url: str) -> AsyncIterator[Container]:
    settings = settings_for(sql_url, pool=PoolSettings(size=1, acquire_timeout=10))
    async with open_container(settings) as container:
        yield container


def _checked_out(container: Container) -> int:
    pool = container.engine().sync_engine.pool
    assert isinstance(pool, QueuePool)
    return pool.checkedout()


async def _until_waiting(container: Container, waiting: int) -> None:
    """Until `waiting` units of work wait for the pool's one connection."""
    queue = container.engine().sync_engine.pool._pool  # type: ignore[attr-defined]
    for _ in range(500):
        if sum(not waiter.done() for waiter in queue._waiters) == waiting:
            return
        await asyncio.sleep(0.002)
    raise AssertionError(f"never {waiting} waiting")


def _reads_noted_in(
    entered: list[str], container: Container
) -> Callable[[str], Coroutine[Any, Any, None]]:
    """A read-only unit of work that notes its name in `entered` once it has its connection."""

    async def read(name: str) -> None:
        async with container.read_unit_of_work():
            entered.append(name)
            await asyncio.sleep(0)

    return read


async def test_the_connection_goes_to_the_longest_waiter_not_to_a_later_caller(
    one_connection: Container,
) -> None:
    entered: list[str] = []
    read = _reads_noted_in(entered, one_connection)

    release = asyncio.Event()
    later: list[asyncio.Task[None]] = []

    async def hold_then_let_a_later_caller_in_first() -> None:
        async with one_connection.read_unit_of_work():
            await release.wait()
            # Scheduled before the waiters hear that the connection is back (on leaving): with
            # asyncio.Queue's order, this caller would find it free and take it.
            later.append(asyncio.create_task(read("later")))

    holder = asyncio.create_task(hold_then_let_a_later_caller_in_first())
    await _until_waiting(one_connection, 0)
    waiters = []
    for name in ("first", "second", "third"):
        waiters.append(asyncio.create_task(read(name)))
        await _until_waiting(one_connection, len(waiters))
    release.set()
    await asyncio.wait_for(asyncio.gather(holder, *waiters), 10)
    await asyncio.wait_for(later[0], 10)
    assert entered == ["first", "second", "third", "later"]
    assert _checked_out(one_connection) == 0


async def test_a_waiter_cancelled_once_handed_the_connection_passes_it_on(
    one_connection: Container,
) -> None:
    entered: list[str] = []
    read = _reads_noted_in(entered, one_connection)

    release = asyncio.Event()
    waiters: list[asyncio.Task[None]] = []

    async def hold_then_cancel_the_first_waiter() -> None:
        async with one_connection.read_unit_of_work():
            await release.wait()
        waiters[0].cancel()  # the connection was just handed to it: it has not run since

    holder = asyncio.create_task(hold_then_cancel_the_first_waiter())
    await _until_waiting(one_connection, 0)
    for name in ("cancelled", "next"):
        waiters.append(asyncio.create_task(read(name)))
        await _until_waiting(one_connection, len(waiters))
    release.set()
    await asyncio.wait_for(holder, 10)
    with pytest.raises(asyncio.CancelledError):
        await waiters[0]
    await asyncio.wait_for(waiters[1], 10)
    assert entered == ["next"]
    assert _checked_out(one_connection) == 0
    await read("after")
    assert entered == ["next", "after"]


async def test_a_waiter_that_timed_out_is_skipped_and_the_connection_goes_to_the_next(
    sql_url: str,
) -> None:
    settings = settings_for(sql_url, pool=PoolSettings(size=1, acquire_timeout=0.2))
    async with open_container(settings) as container:
        entered: list[str] = []
        read = _reads_noted_in(entered, container)
        held, release = asyncio.Event(), asyncio.Event()

        async def hold() -> None:
            async with container.read_unit_of_work():
                held.set()
                await release.wait()

        holder = asyncio.create_task(hold())
        await held.wait()
        with pytest.raises(StoreUnavailable) as timed_out:
            # Bounded well below the unit of work's own deadline: the pool's timeout ends it.
            await asyncio.wait_for(read("timed out"), 5)
        assert timed_out.value.waiting_for_connection
        following = asyncio.create_task(read("next"))
        await _until_waiting(container, 1)
        release.set()
        await asyncio.wait_for(asyncio.gather(holder, following), 10)
        assert entered == ["next"]
        assert _checked_out(container) == 0
