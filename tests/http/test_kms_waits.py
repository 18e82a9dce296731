"""While the key-management backend does not answer, key-using requests wait for it without a
database connection: with a pool of one, reads are served meanwhile, the waiting request gets 503
kms-unavailable at its deadline with nothing written, and the service recovers by itself once
the backend answers again. A real OpenBao, paused with SIGSTOP (it accepts connections and never
answers)."""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from adapters.sql.engine import PoolSettings
from entrypoints.container import open_container
from entrypoints.kms_settings import KmsSettings, TransitSettings
from harness.openbao import OpenBaoServer, openbao
from tests.kms_transit import created_key, require_bao
from tests.support import AUTH, KEY, http_client, settings_for

DEADLINE = 1.5
"""Seconds: WALLET_DB_TIMEOUT, the budget of each backend call too."""


@pytest.fixture(scope="module")
def server() -> Iterator[OpenBaoServer]:
    require_bao()
    with openbao() as started:
        yield started


async def _register(client: httpx.AsyncClient, user_id: str) -> None:
    body = {"email": f"{user_id}@example.com", "id": user_id}
    assert (await client.post("/users", json=body, headers=AUTH)).status_code == 201


async def _create(client: httpx.AsyncClient, user_id: str) -> httpx.Response:
    body = {"userId": user_id, "encryptionKey": KEY}
    return await client.post("/wallets/create-user-wallet", json=body, headers=AUTH)


async def test_a_silent_backend_holds_no_connection_and_the_service_recovers_alone(
    server: OpenBaoServer, tmp_path: Path
) -> None:
    transit = TransitSettings(server.addr, created_key(server), server.root_token, server.mount)
    settings = settings_for(
        f"sqlite:///{tmp_path}/wallets.db",
        pool=PoolSettings(size=1, acquire_timeout=0.5),
        db_timeout=DEADLINE,
        kms=KmsSettings("transit", transit=transit),
    )
    async with open_container(settings) as container, http_client(container) as client:
        for user_id in ("ada", "bob"):
            await _register(client, user_id)
        await _created_once_the_backend_answers(client, "ada")
        server.pause()
        try:
            started = time.perf_counter()
            waiting = asyncio.create_task(_create(client, "bob"))
            await asyncio.sleep(0.3)  # bob's creation now waits for the backend
            read_started = time.perf_counter()
            read = await client.get("/wallets/user/ada", headers=AUTH)
            events = await client.get("/wallets/user/ada/events", headers=AUTH)
            read_seconds = time.perf_counter() - read_started
            refused = await waiting
            refused_after = time.perf_counter() - started
        finally:
            server.resume()
        assert (read.status_code, events.status_code) == (200, 200)
        # A held connection would make the reads wait out the pool's 0.5 s and answer 503.
        assert read_seconds < DEADLINE, "the reads waited for the backend"
        assert refused.status_code == 503
        assert refused.json()["type"].endswith("/problems/kms-unavailable")
        assert int(refused.headers["retry-after"]) >= 1
        assert refused_after < DEADLINE * 3
        assert (await client.get("/wallets/user/bob", headers=AUTH)).status_code == 404
        recovered = await _create(client, "bob")
        assert recovered.status_code == 201
        assert (await _create(client, "bob")).json() == recovered.json()


async def _created_once_the_backend_answers(client: httpx.AsyncClient, user_id: str) -> None:
    """The user's wallet, made before the test pauses anything: a fresh dev server's first
    calls may take longer than DEADLINE on a loaded machine (a CI run saw 503 kms-unavailable
    here, before any pause), so a few attempts, each a retry the caller would make."""
    statuses = []
    for _ in range(5):
        response = await _create(client, user_id)
        statuses.append(response.status_code)
        if response.status_code == 201:
            return
        assert response.json()["type"].endswith("/problems/kms-unavailable"), response.text
    raise AssertionError(f"the backend never answered in time: {statuses}")
