"""Throwaway PostgreSQL databases, uniquely named on the server at TEST_DATABASE_URL."""

import asyncio
import os
import secrets
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

DEFAULT_TEST_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server answered at TEST_DATABASE_URL; the message says how to start one."""


async def _admin(server_url: str, statement: str) -> None:
    connection = await asyncpg.connect(server_url, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def run_sync(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to completion from sync code, even while an event loop is running."""
    with ThreadPoolExecutor(max_workers=1) as executor:
        executor.submit(asyncio.run, coroutine).result()


@contextmanager
def throwaway_database(purpose: str, *, flush_commits: bool = True) -> Iterator[str]:
    """The URL of a uniquely named database created on the server at TEST_DATABASE_URL, dropped
    on exit. Raises PostgresUnavailable when the server cannot create it. With `flush_commits`
    False its sessions commit without waiting for the WAL to reach the disk (synchronous_commit
    off: what a crash of the server could lose, nothing a crash of a client could).
    """
    server_url = os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    name = f"wallet_orchestrator_{purpose}_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        run_sync(_admin(server_url, f'CREATE DATABASE "{name}"'))
        if not flush_commits:
            run_sync(_admin(server_url, f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    except (OSError, asyncpg.PostgresError) as error:
        raise PostgresUnavailable(
            f"No PostgreSQL server at TEST_DATABASE_URL ({server_url}): "
            f"{type(error).__name__}. Start one (pg_ctlcluster --skip-systemctl-redirect "
            "$(ls /etc/postgresql) main start)."
        ) from error
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        run_sync(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
