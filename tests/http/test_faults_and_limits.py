"""Faults inside a creation and resource limits, seen from HTTP: every failure is a clear problem
response, nothing is left behind, and the next request succeeds."""

import secrets
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from adapters.sql.engine import PoolSettings
from adapters.sql.unit_of_work import SqlUnitOfWork
from domain.errors import StoreUnavailable
from entrypoints.container import Container, open_container
from tests.support import (
    AUTH,
    CREATION_STEPS,
    KEY,
    Faults,
    faulty_creation,
    http_client,
    settings_for,
)

PROBLEM = "application/problem+json"
DATABASE_STEPS = ["wallets.get_by_existing_user", "creations.add"]


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(container) as test_client:
        yield test_client


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_url(request: pytest.FixtureRequest) -> str:
    fixture = "sqlite_url" if request.param == "sqlite" else "clean_postgres_url"
    return str(request.getfixturevalue(fixture))


async def _register(client: httpx.AsyncClient, user_id: str = "faulty-user") -> str:
    body = {"email": f"{user_id}@example.com", "id": user_id}
    assert (await client.post("/users", json=body, headers=AUTH)).status_code == 201
    return user_id


async def _create(client: httpx.AsyncClient, user_id: str) -> httpx.Response:
    body = {"userId": user_id, "encryptionKey": KEY}
    return await client.post("/wallets/create-user-wallet", json=body, headers=AUTH)


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


async def _assert_nothing_left_then_retry_creates(
    container: Container, client: httpx.AsyncClient, user_id: str
) -> None:
    assert (await client.get(f"/wallets/user/{user_id}", headers=AUTH)).status_code == 404
    async with container.unit_of_work() as uow:
        assert await uow.wallets.get_by_user(user_id) is None
    assert (await _create(client, user_id)).status_code == 201


@pytest.mark.parametrize("step", CREATION_STEPS)
async def test_a_fault_at_any_step_is_a_clean_500_and_the_retry_succeeds(
    container: Container, client: httpx.AsyncClient, step: str
) -> None:
    user_id = await _register(client)
    faults = Faults()
    with faulty_creation(container, faults):
        faults.arm(step)
        body = _problem(await _create(client, user_id), 500)
        assert faults.fired == [step]
        assert body["type"].endswith("/internal-error")
        assert "nothing was changed" in body["detail"]
        await _assert_nothing_left_then_retry_creates(container, client, user_id)


@pytest.mark.parametrize("step", DATABASE_STEPS)
async def test_a_database_failure_at_any_step_is_503_with_retry_after(
    container: Container, client: httpx.AsyncClient, step: str
) -> None:
    user_id = await _register(client)
    faults = Faults()
    lost = StoreUnavailable("ConnectionResetError")  # what the adapters make of a lost database
    with faulty_creation(container, faults):
        faults.arm(step, lost)
        response = await _create(client, user_id)
        body = _problem(response, 503)
        assert faults.fired == [step]
        assert body["type"].endswith("/database-unavailable")
        assert int(response.headers["retry-after"]) >= 1
        await _assert_nothing_left_then_retry_creates(container, client, user_id)


async def test_an_exhausted_pool_answers_503_at_the_acquire_timeout(sql_url: str) -> None:
    settings = settings_for(sql_url, pool=PoolSettings(size=1, acquire_timeout=0.5), db_timeout=30)
    async with open_container(settings) as container, http_client(container) as client:
        user_id = await _register(client)
        async with container.unit_of_work():  # holds the pool's only connection
            response = await client.get(f"/users/{user_id}", headers=AUTH)
        _problem(response, 503)
        assert response.headers["retry-after"]
        assert (await client.get(f"/users/{user_id}", headers=AUTH)).status_code == 200


async def test_a_database_slower_than_the_deadline_answers_503(sql_url: str) -> None:
    """The deadline covers the wait for a connection too: with the pool's acquire timeout far
    away, WALLET_DB_TIMEOUT is what ends the wait."""
    settings = settings_for(sql_url, pool=PoolSettings(size=1, acquire_timeout=30), db_timeout=0.5)
    async with open_container(settings) as container, http_client(container) as client:
        user_id = await _register(client)
        async with SqlUnitOfWork(container.engine()):  # no deadline of its own
            response = await _create(client, user_id)
        _problem(response, 503)
        await _assert_nothing_left_then_retry_creates(container, client, user_id)


async def test_a_huge_body_is_413_without_being_read_whole(client: httpx.AsyncClient) -> None:
    chunk = b" " * 65536
    pulled = 0

    async def ten_megabytes() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(160):
            pulled += len(chunk)
            yield chunk

    for declared in (True, False):  # with Content-Length, and chunked without one
        pulled = 0
        headers = {**AUTH, "Content-Type": "application/json"}
        if declared:
            headers["Content-Length"] = str(160 * len(chunk))
        response = await client.post("/users", content=ten_megabytes(), headers=headers)
        _problem(response, 413)
        assert pulled <= 4 * len(chunk), (declared, pulled)


@pytest.mark.postgres
async def test_a_full_database_server_answers_503_not_500(postgres_url: str) -> None:
    """PostgreSQL refusing a connection for lack of room (SQLSTATE 53300, here through a role's
    connection limit) is "retry later", like an unreachable server."""
    role = f"wallet_limited_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(postgres_url)
    try:
        await admin.execute(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 1')
        await admin.execute(f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"')
        limited_url = str(make_url(postgres_url).set(username=role))
        holder = await asyncpg.connect(limited_url)  # takes the role's only connection
        try:
            settings = settings_for(limited_url, pool=PoolSettings(size=2))
            async with (
                open_container(settings, apply_migrations=False) as container,
                http_client(container) as client,
            ):
                response = await client.get("/users/anyone", headers=AUTH)
        finally:
            await holder.close()
        _problem(response, 503)
        assert response.headers["retry-after"]
    finally:
        await admin.execute(f'DROP OWNED BY "{role}"')
        await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        await admin.close()
