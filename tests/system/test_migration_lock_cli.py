"""An instance stuck behind another's migration exits, saying who holds the lock: `migrate` and
`serve` (which then never starts) as real processes, with WALLET_MIGRATION_LOCK_TIMEOUT.
"""

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import httpx
import pytest

from adapters.sql.migrate import MIGRATION_LOCK_KEY
from harness.servers import ROOT, free_port

HOLDER_NAME = "held-by-a-test"
STARTUP_SECONDS = 20.0
"""Generous: the interpreter's start and imports come before the wait."""


@asynccontextmanager
async def holding_the_lock(url: str) -> AsyncIterator[int]:
    """A session named HOLDER_NAME holding the migration lock in an open transaction; its pid."""
    connection = await asyncpg.connect(url, server_settings={"application_name": HOLDER_NAME})
    transaction = connection.transaction()
    await transaction.start()
    try:
        await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK_KEY)
        yield connection.get_server_pid()
    finally:
        await transaction.rollback()
        await connection.close()


async def _run(url: str, *args: str, timeout: str = "1") -> tuple[int, str, float]:
    """The CLI's exit code, stderr and running time."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "WALLET_API_TOKENS": "a-token-for-this-test-0123456789",
        "WALLET_MIGRATION_LOCK_TIMEOUT": timeout,
    }
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "entrypoints.cli",
        *args,
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, stderr.decode(), time.monotonic() - started


@pytest.mark.postgres
async def test_migrate_gives_up_and_names_the_holder(empty_postgres_url: str) -> None:
    async with holding_the_lock(empty_postgres_url) as holder_pid:
        code, stderr, seconds = await _run(empty_postgres_url, "migrate")
    assert code == 1
    assert 1.0 <= seconds < 1.0 + STARTUP_SECONDS
    (line,) = stderr.splitlines()
    assert line.startswith("wallet-orchestrator: gave up after waiting 1 s for the migration lock")
    assert f"pid {holder_pid} (application {HOLDER_NAME!r}, client 127.0.0.1," in line
    assert line.endswith("wait longer (WALLET_MIGRATION_LOCK_TIMEOUT) or end that session")


@pytest.mark.postgres
async def test_serve_does_not_start_behind_a_stuck_migration(empty_postgres_url: str) -> None:
    port = free_port()
    async with holding_the_lock(empty_postgres_url):
        code, stderr, _ = await _run(empty_postgres_url, "serve", "--port", str(port))
    assert code == 1
    assert "for the migration lock, held by PostgreSQL backend pid" in stderr
    assert "Uvicorn running" not in stderr
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)


async def test_a_malformed_lock_timeout_is_a_usage_error() -> None:
    code, stderr, _ = await _run("sqlite:///unused.db", "migrate", timeout="soon")
    assert code == 2
    assert "WALLET_MIGRATION_LOCK_TIMEOUT must be a number of seconds" in stderr
