"""aiosqlite's connections, as the SQLite engine leaves them: a close after a stop returns,
and so does a close cancelled while its thread is ending."""

import asyncio
import contextlib

import aiosqlite

from adapters.sql.aiosqlite_stop import stop_at_most_once


async def test_a_close_after_a_stop_returns() -> None:
    stop_at_most_once()
    connection = await aiosqlite.connect(":memory:")
    stopped = connection.stop()
    async with asyncio.timeout(5):
        with contextlib.suppress(ValueError):  # aiosqlite's "Connection closed"
            await connection.close()
        await _thread_done(stopped)


async def test_a_close_cancelled_while_the_thread_ends_returns() -> None:
    stop_at_most_once()
    connection = await aiosqlite.connect(":memory:")
    closing = asyncio.ensure_future(connection.close())
    await asyncio.sleep(0)  # its close is queued for the connection's thread
    stopped = connection.stop()  # what SQLAlchemy does when the task that closes is cancelled
    closing.cancel()
    async with asyncio.timeout(5):
        await asyncio.gather(closing, return_exceptions=True)
        await _thread_done(stopped)
    assert closing.done()


async def _thread_done(stopped: asyncio.Future[object] | None) -> None:
    """Wait for the connection's thread to answer the stop, before this test's event loop closes
    (an answer to a closed loop is an exception in that thread, reported under a later test)."""
    assert stopped is not None
    await stopped


async def test_applying_it_twice_changes_nothing() -> None:
    stop_at_most_once()
    mended = aiosqlite.Connection.stop
    stop_at_most_once()
    assert aiosqlite.Connection.stop is mended
