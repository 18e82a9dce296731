"""The soak: minutes of load on the real server with database outages and crashes along the way.
Not part of `just test`; run it with `just soak` (SOAK_MINUTES, default 3)."""

import asyncio
import os
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.load import LoadReport
from harness.servers import ServerProcess, serving
from tests.conftest import fresh_postgres_database
from tests.support import KEY, TOKEN
from tests.system.load import (
    LoadClient,
    assert_one_wallet_per_user,
    assert_problems_well_formed,
    check_stored_invariants,
)
from tests.system.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.postgres, pytest.mark.soak]

USERS_PER_ROUND = 300
ROUND_SECONDS = 30.0


@pytest.fixture
def soak_database() -> Iterator[str]:
    with fresh_postgres_database("soak") as url:
        yield url


async def _trouble(proxy: TcpProxy, server: ServerProcess, round_number: int) -> str:
    """One outage or crash in the middle of a round, picked in turn."""
    await asyncio.sleep(ROUND_SECONDS / 3)
    kind = ("reset", "blackhole", "sigkill")[round_number % 3]
    if kind == "sigkill":
        server.kill()
        await asyncio.sleep(1.0)
        server.start()
    else:
        proxy.cut("reset" if kind == "reset" else "blackhole")
        await asyncio.sleep(random.uniform(2.0, 6.0))
        proxy.restore()
    return kind


async def test_soak(soak_database: str, tmp_path: Path) -> None:
    minutes = float(os.environ.get("SOAK_MINUTES", "3"))
    proxy, via_proxy = TcpProxy.in_front_of(soak_database)
    reports: list[LoadReport] = []
    troubles: list[str] = []
    all_users: list[str] = []
    deadline = time.monotonic() + minutes * 60
    log = tmp_path / "server.log"
    try:
        with serving(via_proxy, log, token=TOKEN, workers=2, WALLET_DB_TIMEOUT="3") as server:
            round_number = 0
            while time.monotonic() < deadline:
                users = [f"soak-{round_number}-{n:03d}" for n in range(USERS_PER_ROUND)]
                async with LoadClient(server.base_url, connections=50, timeout=15) as registrar:
                    await registrar.register(users)
                all_users += users
                async with LoadClient(server.base_url, connections=50, timeout=15) as client:
                    trouble = asyncio.create_task(_trouble(proxy, server, round_number))
                    await client.create_for(ROUND_SECONDS, all_users, KEY, max_requests=200_000)
                    troubles.append(await trouble)
                reports.append(client.report)
                print(f"\nround {round_number} ({troubles[-1]}): {client.report.summary()}")  # noqa: T201
                round_number += 1
            async with LoadClient(server.base_url, connections=50) as final:
                await final.create_storm(all_users, copies=1, key=KEY)
    finally:
        proxy.close()
    sent = sum(report.sent for report in reports)
    print(f"\nsoak: {len(reports)} rounds, {sent} requests, troubles={troubles}")  # noqa: T201
    assert final.report.statuses.keys() <= {200, 201}, final.report.summary()
    for report in reports:
        assert report.statuses.keys() <= {200, 201, 503}, report.summary()
        assert_problems_well_formed(report)
    assert_one_wallet_per_user(*reports, final.report)
    assert await check_stored_invariants(soak_database, KEY) == len(all_users)
