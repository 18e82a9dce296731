"""Idempotency-Key when the first request never answered, when it was refused, and when its body
is too large (issue 17), on every backend: a key left unanswered by a process that died is run
again by a repeat once its two-minute lease has passed, and waited for before that; a 4xx answer
is kept like any other; a body over the limit is refused without being read whole.
"""

import hashlib
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from adapters.sql.repositories import to_db
from adapters.sql.tables import idempotency_keys
from domain.idempotency import IdempotencyRecord
from domain.model import utc_now
from entrypoints.container import Container
from entrypoints.http.idempotency import LEASE, PURGE_BATCH
from tests.http.keyed_routes import REPLAYED, Call, new_key, problem, send, served
from tests.support import AUTH, KEY, TOKEN

TOKEN_ID = hashlib.sha256(TOKEN.encode()).hexdigest()[:12]
REGISTER = Call("POST", "/users", {"email": "zoe@example.com", "id": "zoe"})
CREATE = Call("POST", "/wallets/create-user-wallet", {"userId": "zoe", "encryptionKey": KEY})
SOMEONE_ELSE = "someone-else"
"""The token id of keys no request here uses."""
CHUNK = b" " * 65536
CHUNKS = 160
"""Ten megabytes in all, far over the 64 KiB limit."""


async def _unanswered_since(container: Container, key: str, started: timedelta) -> None:
    """Make the key's record look as a process that died while running it leaves it: no answer,
    started `started` ago (behind the service's back).
    """
    started_at = utc_now() - started
    if container.settings().backend == "memory":
        records = container.memory_store().idempotency
        records[TOKEN_ID, key] = replace(
            records[TOKEN_ID, key], response=None, started_at=started_at
        )
        return
    async with container.engine().begin() as connection:
        changed = await connection.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.tokenId == TOKEN_ID, idempotency_keys.c.key == key)
            .values(status=None, body=None, mediaType=None, startedAt=to_db(started_at))
        )
        assert changed.rowcount == 1


async def test_a_key_left_unanswered_past_its_lease_is_run_again(database_url: str) -> None:
    async with served(database_url) as (container, client):
        assert (await send(client, REGISTER)).status_code == 201
        key = new_key()
        assert (await send(client, CREATE, key)).status_code == 201
        await _unanswered_since(container, key, LEASE + timedelta(seconds=5))
        again = await send(client, CREATE, key)
        assert again.status_code == 200, again.text  # ran: the wallet it made exists
        assert REPLAYED not in again.headers
        kept = await send(client, CREATE, key)
        assert (kept.status_code, kept.headers[REPLAYED]) == (200, "true")
        assert kept.content == again.content


async def test_a_key_unanswered_within_its_lease_is_waited_for(database_url: str) -> None:
    async with served(database_url, db_timeout=0.5) as (container, client):
        assert (await send(client, REGISTER)).status_code == 201
        key = new_key()
        assert (await send(client, CREATE, key)).status_code == 201
        await _unanswered_since(container, key, LEASE - timedelta(seconds=30))
        waited = await send(client, CREATE, key)
        problem(waited, 409, "request-in-progress")
        assert int(waited.headers["retry-after"]) >= 1
        async with container.unit_of_work() as uow:
            record = await uow.idempotency.get(TOKEN_ID, key)
        assert record is not None
        assert record.response is None


async def test_a_refusal_is_kept_like_any_other_answer(database_url: str) -> None:
    async with served(database_url) as (_, client):
        key = new_key()
        refused = await send(client, CREATE, key)
        problem(refused, 404, "user-not-found")
        assert (await send(client, REGISTER)).status_code == 201
        repeat = await send(client, CREATE, key)
        assert (repeat.status_code, repeat.headers[REPLAYED]) == (404, "true")
        assert repeat.content == refused.content
        assert repeat.headers["content-type"] == refused.headers["content-type"]
        problem(await client.get("/wallets/user/zoe", headers=AUTH), 404, "wallet-not-found")
        assert (await send(client, CREATE, new_key())).status_code == 201


async def _kept_for(container: Container, token_id: str) -> int:
    if container.settings().backend == "memory":
        return sum(owner == token_id for owner, _ in container.memory_store().idempotency)
    statement = select(func.count()).where(idempotency_keys.c.tokenId == token_id)
    async with container.engine().connect() as connection:
        return int(await connection.scalar(statement) or 0)


async def _expired(container: Container, count: int, *, alive: bool = False) -> None:
    """`count` keys of another token that expired a day ago (and one that has not)."""
    now, day = utc_now(), timedelta(days=1)
    records = [
        IdempotencyRecord(SOMEONE_ELSE, new_key(), "0" * 64, now - 2 * day, now - day)
        for _ in range(count)
    ]
    if alive:
        records.append(IdempotencyRecord(SOMEONE_ELSE, new_key(), "1" * 64, now, now + day))
    async with container.unit_of_work() as uow:
        for record in records:
            assert await uow.idempotency.claim(record)
        await uow.commit()


async def test_expired_keys_are_purged_a_batch_at_a_time(database_url: str) -> None:
    async with served(database_url) as (container, client):
        await _expired(container, PURGE_BATCH + 1, alive=True)
        assert (await send(client, REGISTER, new_key())).status_code == 201
        assert await _kept_for(container, SOMEONE_ELSE) == 2  # one expired, the one alive
        await _expired(container, 1)
        assert (await send(client, REGISTER, new_key())).status_code == 200
        assert await _kept_for(container, SOMEONE_ELSE) == 3  # not a minute since


async def test_expired_keys_are_purged_at_most_once_a_minute_per_process() -> None:
    async with served("memory://") as (container, client):
        await _expired(container, 1, alive=True)
        assert (await send(client, REGISTER, new_key())).status_code == 201
        assert await _kept_for(container, SOMEONE_ELSE) == 1
        await _expired(container, 2)
        assert (await send(client, CREATE, new_key())).status_code == 201  # another route
        assert await _kept_for(container, SOMEONE_ELSE) == 3  # not a minute since


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_a_huge_keyed_body_is_413_without_being_read_whole(*, declared: bool) -> None:
    pulled = 0

    async def ten_megabytes() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(CHUNKS):
            pulled += len(CHUNK)
            yield CHUNK

    headers = {**AUTH, "Content-Type": "application/json", "Idempotency-Key": new_key()}
    if declared:
        headers["Content-Length"] = str(CHUNKS * len(CHUNK))
    async with served("memory://") as (_, client):
        response = await client.post("/users", content=ten_megabytes(), headers=headers)
    problem(response, 413, "request-entity-too-large")
    assert pulled <= 4 * len(CHUNK), pulled
