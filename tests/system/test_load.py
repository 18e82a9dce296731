"""Many processes, one truth: the real server with several workers under concurrent load."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.load import LoadReport
from harness.servers import serving
from tests.conftest import fresh_postgres_database
from tests.support import KEY, TOKEN
from tests.system.load import LoadClient, assert_one_wallet_per_user, check_stored_invariants


@pytest.fixture
def load_database() -> Iterator[str]:
    with fresh_postgres_database("load") as url:
        yield url


async def _storm(
    database_url: str, log: Path, *, workers: int, users: list[str], connections: int
) -> LoadReport:
    """Register the users, then ask for each one's wallet 5 times at once, on a real server."""
    with serving(database_url, log, token=TOKEN, workers=workers) as server:
        async with LoadClient(server.base_url, connections=connections) as client:
            await client.register(users)
            await client.create_storm(users, copies=5, key=KEY)
    return client.report


@pytest.mark.postgres
async def test_four_workers_thousand_users_five_times_each(
    load_database: str, tmp_path: Path
) -> None:
    user_ids = [f"load-user-{n:04d}" for n in range(1000)]
    report = await _storm(
        load_database, tmp_path / "server.log", workers=4, users=user_ids, connections=200
    )
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
    user_ids = [f"sqlite-user-{n:03d}" for n in range(200)]
    report = await _storm(
        database_url, tmp_path / "server.log", workers=2, users=user_ids, connections=50
    )
    print(f"\nsqlite load: {report.summary()}")  # noqa: T201 - figures for the closing note
    assert report.statuses.keys() <= {200, 201}, report.summary()
    assert report.transport_errors == 0
    assert_one_wallet_per_user(report)
    assert "database is locked" not in (tmp_path / "server.log").read_text()
    assert await check_stored_invariants(database_url, KEY) == len(user_ids)
