"""Fixtures: a uniquely named PostgreSQL database per run, SQLite files, and containers on each
backend (in-memory, SQLite, PostgreSQL) for the contract suites."""

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from adapters.sql.engine import create_engine
from adapters.sql.migrate import migrate
from entrypoints.container import Container, open_container
from tests.support import settings_for

DEFAULT_TEST_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BACKENDS = [
    "memory",
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
]


async def _admin(server_url: str, statement: str) -> None:
    connection = await asyncpg.connect(server_url, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _run(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to completion from sync code, even while an event loop is running."""
    with ThreadPoolExecutor(max_workers=1) as executor:
        executor.submit(asyncio.run, coroutine).result()


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    await migrate(engine)
    await engine.dispose()


@contextmanager
def fresh_postgres_database(purpose: str) -> Iterator[str]:
    """Create a uniquely named database on the test server; drop it afterwards."""
    server_url = os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    name = f"wallet_orchestrator_{purpose}_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        _run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as error:
        pytest.fail(
            f"PostgreSQL tests need a server at TEST_DATABASE_URL ({server_url}): "
            f"{type(error).__name__}. Start one (pg_ctlcluster --skip-systemctl-redirect "
            "$(ls /etc/postgresql) main start) or deselect them with -m 'not postgres'.",
            pytrace=False,
        )
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        _run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database on the test server, migrated once for the run, dropped after it."""
    with fresh_postgres_database("test") as url:
        _run(_migrate(url))
        yield url


@pytest.fixture
def migrated_postgres_url() -> Iterator[str]:
    """A migrated database of this test's own (not shared with the rest of the run): for tests
    that start servers against it, whose own start-up migration then finds nothing to do."""
    with fresh_postgres_database("migrated") as url:
        _run(_migrate(url))
        yield url


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    """A database of its own, with no tables at all."""
    with fresh_postgres_database("empty") as url:
        yield url


@pytest.fixture
async def clean_postgres_url(postgres_url: str) -> str:
    engine = create_engine(postgres_url)
    async with engine.begin() as connection:
        await connection.execute(text("TRUNCATE wallets, users CASCADE"))
    await engine.dispose()
    return postgres_url


@pytest.fixture
def sqlite_url(tmp_path: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path}/wallets.db"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """The URL of an empty database on each backend in turn."""
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("clean_postgres_url"))


@pytest.fixture
async def container(database_url: str) -> AsyncIterator[Container]:
    """A migrated container on each backend, with test settings."""
    async with open_container(settings_for(database_url)) as ready:
        yield ready
