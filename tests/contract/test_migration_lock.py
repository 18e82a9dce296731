"""The wait for the migration lock is bounded (PostgreSQL): an instance behind another's migration
gives up after its lock timeout and says who holds the lock, instead of waiting forever.
"""

import asyncio
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.engine import create_engine
from adapters.sql.migrate import MIGRATION_LOCK_KEY, MigrationLockTimeout, migrate

pytestmark = pytest.mark.postgres

HOLDER_NAME = "stuck-migration-test"
SLACK_SECONDS = 3.0
"""How much later than its timeout a waiter may give up: a query for the holder, and a busy CI."""


@asynccontextmanager
async def holding_the_lock(url: str) -> AsyncIterator[int]:
    """Another session, named HOLDER_NAME, in a transaction that holds the migration lock; its
    backend pid.
    """
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.execute(
                text("SELECT set_config('application_name', :name, false)"), {"name": HOLDER_NAME}
            )
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
            yield int(await connection.scalar(text("SELECT pg_backend_pid()")))
            await connection.rollback()
    finally:
        await engine.dispose()


async def _waiters(connection: AsyncConnection) -> list[str]:
    """The application names of the sessions waiting for an advisory lock."""
    rows = await connection.execute(
        text(
            "SELECT a.application_name FROM pg_locks AS l JOIN pg_stat_activity AS a USING (pid) "
            "WHERE l.locktype = 'advisory' AND NOT l.granted"
        )
    )
    return [row.application_name for row in rows]


async def test_a_waiter_gives_up_in_time_and_names_the_holder(empty_postgres_url: str) -> None:
    engine = create_engine(empty_postgres_url)
    try:
        async with holding_the_lock(empty_postgres_url) as holder_pid:
            started = time.monotonic()
            with pytest.raises(MigrationLockTimeout) as raised:
                await migrate(engine, lock_timeout=0.5)
            waited = time.monotonic() - started
    finally:
        await engine.dispose()
    assert 0.5 <= waited < 0.5 + SLACK_SECONDS
    message = str(raised.value)
    assert message.startswith("gave up after waiting 0.5 s for the migration lock")
    assert f"pid {holder_pid} " in message
    assert f"application {HOLDER_NAME!r}" in message
    assert "client 127.0.0.1" in message
    assert re.search(r"in its transaction for \d+ s\)$", message)


async def test_once_the_lock_is_free_the_same_instance_migrates(empty_postgres_url: str) -> None:
    engine = create_engine(empty_postgres_url)
    try:
        async with holding_the_lock(empty_postgres_url):
            with pytest.raises(MigrationLockTimeout):
                await migrate(engine, lock_timeout=0.2)
        await migrate(engine, lock_timeout=0.2)
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT count(*) FROM alembic_version")) == 1
            # The timeout was the transaction's own: the pool's connections keep the server's.
            assert await connection.scalar(text("SHOW lock_timeout")) == "0"
    finally:
        await engine.dispose()


async def test_a_waiter_within_its_timeout_migrates_when_the_holder_finishes(
    empty_postgres_url: str,
) -> None:
    engine = create_engine(empty_postgres_url)
    try:
        async with holding_the_lock(empty_postgres_url):
            waiter = asyncio.create_task(migrate(engine, lock_timeout=30))
            await asyncio.sleep(0.5)
            assert not waiter.done()
        await asyncio.wait_for(waiter, timeout=30)
    finally:
        await engine.dispose()


async def test_a_migrating_instance_is_named_for_those_behind_it(empty_postgres_url: str) -> None:
    """While an instance waits for (or holds) the lock, its session says which host and process
    it is: what the message of an instance behind it will show.
    """
    engine, observer = create_engine(empty_postgres_url), create_engine(empty_postgres_url)
    try:
        async with holding_the_lock(empty_postgres_url):
            waiter = asyncio.create_task(migrate(engine, lock_timeout=30))
            names: list[str] = []
            for _ in range(50):
                async with observer.connect() as connection:
                    names = await _waiters(connection)
                if names:
                    break
                await asyncio.sleep(0.1)
        await asyncio.wait_for(waiter, timeout=30)
    finally:
        await engine.dispose()
        await observer.dispose()
    assert len(names) == 1
    assert names[0].startswith("wallet-orchestrator migrate ")


async def test_concurrent_instances_with_a_timeout_still_take_turns(
    empty_postgres_url: str,
) -> None:
    engines = [create_engine(empty_postgres_url) for _ in range(4)]
    try:
        await asyncio.gather(*(migrate(engine, lock_timeout=30) for engine in engines))
    finally:
        for engine in engines:
            await engine.dispose()
