"""Many processes, one truth: the real server with several workers under concurrent load."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import fresh_postgres_database
from tests.load import LoadClient, assert_one_wallet_per_user, check_stored_invariants
from tests.servers import ServerProcess
from tests.support import KEY, TOKEN


@pytest.fixture
def load_database() -> Iterator[str]:
    with fresh_postgres_database("load") as url:
        yield url


def _server_env(database_url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "WALLET_API_TOKENS": TOKEN, **extra}


@pytest.mark.postgres
async def test_four_workers_thousand_users_five_times_each(
    load_database: str, tmp_path: Path
) -> None:
    server = ServerProcess(_server_env(load_database), tmp_path / "server.log", workers=4).start()
    try:
        user_ids = [f"load-user-{n:04d}" for n in range(1000)]
        async with LoadClient(server.base_url, connections=200) as client:
            await client.register(user_ids)
            await client.create_storm(user_ids, copies=5, key=KEY)
        report = client.report
    finally:
        server.stop()
    print(f"\nload: {report.summary()}")  # noqa: T201 - figures for the closing note
    assert report.server_errors == 0
    assert report.transport_errors == 0
    assert report.peak_in_flight >= 200
    assert_one_wallet_per_user(report)
    for user_id in user_ids:
        statuses = sorted(status for status, _ in report.by_user[user_id])
        assert statuses == [200, 200, 200, 200, 201], user_id
    assert await check_stored_invariants(load_database, KEY) == 1000


async def test_sqlite_two_workers_concurrent_writers(tmp_path: Path) -> None:
    """The embedded default under several writers: WAL, BEGIN IMMEDIATE and busy_timeout mean
    waiting, never "database is locked"."""
    database_url = f"sqlite:///{tmp_path}/wallets.db"
    server = ServerProcess(_server_env(database_url), tmp_path / "server.log", workers=2).start()
    try:
        user_ids = [f"sqlite-user-{n:03d}" for n in range(200)]
        async with LoadClient(server.base_url, connections=50) as client:
            await client.register(user_ids)
            await client.create_storm(user_ids, copies=5, key=KEY)
        report = client.report
    finally:
        server.stop()
    print(f"\nsqlite load: {report.summary()}")  # noqa: T201 - figures for the closing note
    assert report.statuses.keys() <= {200, 201}, report.summary()
    assert report.transport_errors == 0
    assert_one_wallet_per_user(report)
    assert "database is locked" not in (tmp_path / "server.log").read_text()
    assert await check_stored_invariants(database_url, KEY) == len(user_ids)
