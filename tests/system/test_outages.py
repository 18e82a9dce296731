"""Database outages and crashes in the middle of a load run, against the real server on
PostgreSQL: requests fail fast with 503, the same process recovers, and nothing is lost or
doubled."""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.load import LoadReport
from harness.servers import serving
from tests.conftest import fresh_postgres_database
from tests.support import KEY, TOKEN
from tests.system.load import (
    LoadClient,
    assert_one_wallet_per_user,
    assert_problems_well_formed,
    check_stored_invariants,
)
from tests.system.tcp_proxy import CutMode, TcpProxy

pytestmark = pytest.mark.postgres

DB_TIMEOUT_SECONDS = 2.0
SLACK_SECONDS = 2.0
"""How much later than WALLET_DB_TIMEOUT a response may come on this loaded 2-core machine."""

USERS = [f"outage-user-{n:03d}" for n in range(200)]


@pytest.fixture
def outage_database() -> Iterator[str]:
    with fresh_postgres_database("outage") as url:
        yield url


SERVER_SETTINGS = {
    "WALLET_DB_TIMEOUT": str(DB_TIMEOUT_SECONDS),
    "WALLET_DB_CONNECT_TIMEOUT": str(DB_TIMEOUT_SECONDS),
    "WALLET_DB_POOL_SIZE": "5",
}


async def _ready_status(base_url: str) -> int:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        return (await client.get("/ready")).status_code


async def _final_pass(base_url: str) -> LoadReport:
    """Every user's wallet once more, after the trouble: each must now be there or be made."""
    async with LoadClient(base_url, connections=20) as client:
        await client.create_storm(USERS, copies=1, key=KEY)
    report = client.report
    assert dict(report.statuses).keys() <= {200, 201}, report.summary()
    assert len(report.by_user) == len(USERS)
    return report


@pytest.mark.parametrize("mode", ["reset", "blackhole"])
async def test_database_cut_mid_load_fails_fast_and_recovers(
    outage_database: str, tmp_path: Path, mode: CutMode
) -> None:
    proxy, via_proxy = TcpProxy.in_front_of(outage_database)
    log = tmp_path / "server.log"
    try:
        with serving(via_proxy, log, token=TOKEN, workers=2, **SERVER_SETTINGS) as server:
            async with LoadClient(server.base_url, connections=20) as registrar:
                await registrar.register(USERS)
            async with LoadClient(server.base_url, connections=20) as client:
                load = asyncio.create_task(client.create_for(10.0, USERS, KEY, max_requests=20_000))
                await asyncio.sleep(2.0)
                proxy.cut(mode)
                cut_at = time.monotonic()
                await asyncio.sleep(DB_TIMEOUT_SECONDS + 1.0)
                ready_during_cut = await _ready_status(server.base_url)
                await asyncio.sleep(max(0.0, 5.0 - (time.monotonic() - cut_at)))
                statuses_at_restore = dict(client.report.statuses)
                proxy.restore()
                await asyncio.sleep(1.0)
                unavailable_once_settled = client.report.statuses[503]
                await load
            ready_after = await _ready_status(server.base_url)
            final = await _final_pass(server.base_url)
    finally:
        proxy.close()
    report = client.report
    print(f"\noutage ({mode}): {report.summary()} final: {final.summary()}")  # noqa: T201
    assert ready_during_cut == 503
    assert ready_after == 200
    assert statuses_at_restore.get(503, 0) > 0, "the cut produced no 503"
    assert report.statuses.keys() <= {200, 201, 503}, report.summary()
    assert report.statuses[503] == unavailable_once_settled, "503s went on after the restore"
    assert report.transport_errors == 0
    assert report.slowest_seconds < DB_TIMEOUT_SECONDS + SLACK_SECONDS, report.summary()
    assert_problems_well_formed(report)
    assert_one_wallet_per_user(report, final)
    assert await check_stored_invariants(outage_database, KEY) == len(USERS)


async def test_sigkill_mid_load_then_restart(outage_database: str, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with serving(outage_database, log, token=TOKEN, workers=2, **SERVER_SETTINGS) as server:
        async with LoadClient(server.base_url, connections=20) as registrar:
            await registrar.register(USERS)
        async with LoadClient(server.base_url, connections=50, timeout=10) as client:
            load = asyncio.create_task(client.create_storm(USERS, copies=3, key=KEY))
            while client.report.statuses[201] < len(USERS) // 4 and not load.done():
                await asyncio.sleep(0.02)
            server.kill()
            await load
        server.start()
        final = await _final_pass(server.base_url)
    report = client.report
    print(f"\nsigkill: {report.summary()} final: {final.summary()}")  # noqa: T201
    assert report.transport_errors > 0, "the kill hit no request in flight"
    assert report.server_errors == 0, report.summary()
    assert_one_wallet_per_user(report, final)
    assert await check_stored_invariants(outage_database, KEY) == len(USERS)
