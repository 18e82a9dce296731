"""Idempotency under concurrency, decided by PostgreSQL's unique constraint, via the HTTP app."""

import asyncio
from collections import Counter

import httpx
import pytest
from sqlalchemy import func, select

from adapters.sql.tables import wallets
from entrypoints.container import open_container
from tests.support import AUTH, KEY, Faults, faulty_creation, http_client, settings_for

pytestmark = pytest.mark.postgres


async def test_fifty_concurrent_creations_for_one_user(clean_postgres_url: str) -> None:
    faults = Faults()
    # Sealing inside the transaction takes a while, as a slow machine would make it: the
    # creations that read "no wallet yet" overlap, and the database has a race to decide.
    faults.slow_down("cipher.encrypt", 0.05)
    async with open_container(settings_for(clean_postgres_url)) as container:
        with faulty_creation(container, faults) as keys:
            async with http_client(container) as client:
                user = {"email": "ada@example.com", "id": "ada"}
                assert (await client.post("/users", json=user, headers=AUTH)).status_code == 201
                responses = await asyncio.gather(*(_create(client) for _ in range(50)))
        async with container.engine().connect() as connection:
            count = await connection.scalar(select(func.count()).select_from(wallets))
    assert Counter(response.status_code for response in responses) == {201: 1, 200: 49}
    assert len({response.json()["walletId"] for response in responses}) == 1
    assert len({response.json()["publicKey"] for response in responses}) == 1
    assert count == 1
    # The race was real: several requests got past "no wallet yet" and generated a keypair.
    assert len(keys.seeds) > 1


async def _create(client: httpx.AsyncClient) -> httpx.Response:
    payload = {"userId": "ada", "encryptionKey": KEY}
    return await client.post("/wallets/create-user-wallet", json=payload, headers=AUTH)
