"""Fixtures: a uniquely named PostgreSQL database per run, SQLite files, and containers on each
backend (in-memory, SQLite, PostgreSQL) for the contract suites."""

import gc
import io
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, contextmanager

import pytest
from sqlalchemy import text

from adapters.sql.engine import create_engine
from adapters.sql.migrate import migrate
from entrypoints.container import Container, open_container
from entrypoints.logs import REQUEST_LOG, REQUEST_LOGGER
from harness.postgres import PostgresUnavailable, run_sync, throwaway_database
from tests.support import settings_for

MEMORY_FILESYSTEM = "/dev/shm"  # noqa: S108 - a root only: pytest makes private directories in it
BACKENDS = [
    "memory",
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
]


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    await migrate(engine)
    await engine.dispose()


def _keep_temporary_files_in_memory() -> None:
    """Tests' temporary files (their SQLite databases among them) go to tmpfs where the machine
    has one. No test is about the disk, yet a commit's fsync on a disk busy with other writes
    stalls for seconds (a CI run saw a lone SQLite creation pass its 5 s deadline), which the
    tests' deadlines would then report as an outage.
    """
    if os.access(MEMORY_FILESYSTEM, os.W_OK):
        tempfile.tempdir = MEMORY_FILESYSTEM


_keep_temporary_files_in_memory()


@contextmanager
def fresh_postgres_database(purpose: str) -> Iterator[str]:
    """A throwaway database on the test server; no server there fails the test with a hint.
    Its commits do not wait for the disk, for the reason temporary files are kept in memory."""
    with ExitStack() as stack:
        try:
            url = stack.enter_context(throwaway_database(purpose, flush_commits=False))
        except PostgresUnavailable as error:
            hint = f"{error} Or deselect the PostgreSQL tests with -m 'not postgres'."
            raise pytest.fail.Exception(hint, pytrace=False) from None
        yield url


class _LinesToLogging(io.StringIO):
    """Request lines handed to the standard library's logger of that name, one record each."""

    def write(self, text: str) -> int:
        for line in text.splitlines():
            logging.getLogger(REQUEST_LOGGER).info(line)
        return len(text)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Freeze what collection left (imported modules, the test items) out of the garbage
    collector's full collections, which otherwise walk it all again each time: over tests/http,
    collections of more than 0.2 s went from 97 to 18. The longest is still about 0.6 s (what
    the tests themselves leave behind), and a test with a 0.5 s db_timeout failed in CI inside
    one such pause.
    """
    del session
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def request_lines_in_log_records() -> Iterator[None]:
    """In tests, the request lines (which `serve` writes to stderr itself) are log records too,
    so that caplog and every leak check see them as they see every other line.
    """
    REQUEST_LOG.writer.to = _LinesToLogging()
    try:
        yield
    finally:
        REQUEST_LOG.writer.to = None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database on the test server, migrated once for the run, dropped after it."""
    with fresh_postgres_database("test") as url:
        run_sync(_migrate(url))
        yield url


@pytest.fixture
def migrated_postgres_url() -> Iterator[str]:
    """A migrated database of this test's own (not shared with the rest of the run): for tests
    that start servers against it, whose own start-up migration then finds nothing to do."""
    with fresh_postgres_database("migrated") as url:
        run_sync(_migrate(url))
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
    return empty_database_url(request)


def empty_database_url(request: pytest.FixtureRequest) -> str:
    """The URL of an empty database on the backend `request.param` names."""
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
