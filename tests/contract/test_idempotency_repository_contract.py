"""The idempotency repository's contract (issue 17), run against in-memory, SQLite and
PostgreSQL: a claim takes a free or expired key and nothing else, the answer is kept, an
unanswered claim is taken over only as read, keys are removed and expired ones purged in
bounded batches, a rollback discards everything, and of two concurrent claims of one key the
second waits for the first to end and loses if it committed.
"""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete

from adapters.sql.tables import idempotency_keys
from domain.idempotency import IdempotencyRecord, KeptResponse
from entrypoints.container import Container

NOON = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
TOKEN_ID, OTHER_TOKEN_ID = "0123456789ab", "ba9876543210"
ANSWER = KeptResponse(201, b'{"id":"grace"}\x00\xff', "application/json")
STILL_WAITING = 0.3
"""Seconds a blocked claim is seen not to have finished (it waits for the holder to end)."""


@pytest.fixture(autouse=True)
async def no_keys_yet(container: Container) -> None:
    """The PostgreSQL database is shared by the run: start from a table with no keys."""
    if container.settings().backend == "sql":
        async with container.engine().begin() as connection:
            await connection.execute(delete(idempotency_keys))


def _record(
    key: str = "key-1",
    *,
    token_id: str = TOKEN_ID,
    started_at: datetime = NOON,
    ttl: timedelta = HOUR,
    request_hash: str = "a" * 64,
) -> IdempotencyRecord:
    return IdempotencyRecord(token_id, key, request_hash, started_at, started_at + ttl)


async def _claim(container: Container, record: IdempotencyRecord) -> bool:
    async with container.unit_of_work() as uow:
        claimed: bool = await uow.idempotency.claim(record)
        await uow.commit()
    return claimed


async def _get(
    container: Container, key: str = "key-1", token_id: str = TOKEN_ID
) -> IdempotencyRecord | None:
    async with container.unit_of_work() as uow:
        record: IdempotencyRecord | None = await uow.idempotency.get(token_id, key)
    return record


async def _answer(container: Container, record: IdempotencyRecord) -> None:
    async with container.unit_of_work() as uow:
        await uow.idempotency.answer(record.token_id, record.key, ANSWER)
        await uow.commit()


async def test_a_claim_takes_a_free_key(container: Container) -> None:
    record = _record()
    assert await _get(container) is None
    async with container.unit_of_work() as uow:
        assert await uow.idempotency.claim(record)
        assert await uow.idempotency.get(TOKEN_ID, "key-1") == record
        await uow.commit()
    stored = await _get(container)
    assert stored == record
    assert stored is not None
    assert stored.response is None
    assert stored.started_at.tzinfo == UTC


async def test_a_second_claim_of_an_unexpired_key_fails(container: Container) -> None:
    first = _record()
    assert await _claim(container, first)
    just_before_expiry = NOON + HOUR - timedelta(microseconds=1)
    again = _record(started_at=just_before_expiry, request_hash="b" * 64)
    assert not await _claim(container, again)
    assert not await _claim(container, first)
    assert await _get(container) == first


async def test_a_second_claim_in_the_same_unit_of_work_fails(container: Container) -> None:
    async with container.unit_of_work() as uow:
        assert await uow.idempotency.claim(_record())
        assert not await uow.idempotency.claim(_record(request_hash="b" * 64))
        await uow.commit()
    assert await _get(container) == _record()


async def test_an_answered_key_is_not_claimed_again(container: Container) -> None:
    record = _record()
    assert await _claim(container, record)
    await _answer(container, record)
    assert not await _claim(container, _record(started_at=NOON + timedelta(minutes=5)))
    assert await _get(container) == replace(record, response=ANSWER)


async def test_an_expired_key_is_replaced_by_a_claim(container: Container) -> None:
    first = _record()
    assert await _claim(container, first)
    await _answer(container, first)
    at_expiry = _record(started_at=first.expires_at, request_hash="b" * 64)
    assert await _claim(container, at_expiry)
    replaced = await _get(container)
    assert replaced == at_expiry
    assert replaced is not None
    assert replaced.response is None


async def test_keys_are_each_tokens_own(container: Container) -> None:
    mine, theirs = _record(), _record(token_id=OTHER_TOKEN_ID, request_hash="b" * 64)
    assert await _claim(container, mine)
    assert await _claim(container, theirs)
    await _answer(container, mine)
    assert await _get(container) == replace(mine, response=ANSWER)
    assert await _get(container, token_id=OTHER_TOKEN_ID) == theirs
    assert await _get(container, "key-2") is None


async def test_the_answer_is_kept_byte_for_byte(container: Container) -> None:
    record = _record()
    assert await _claim(container, record)
    async with container.unit_of_work() as uow:
        await uow.idempotency.answer(TOKEN_ID, "key-1", ANSWER)
        assert await uow.idempotency.get(TOKEN_ID, "key-1") == replace(record, response=ANSWER)
        await uow.commit()
    stored = await _get(container)
    assert stored is not None
    assert stored.response == ANSWER
    assert stored.started_at == record.started_at
    assert stored.expires_at == record.expires_at


async def test_take_over_restarts_an_unanswered_key_as_read(container: Container) -> None:
    record = _record()
    assert await _claim(container, record)
    later = NOON + timedelta(minutes=3)
    async with container.unit_of_work() as uow:
        assert await uow.idempotency.take_over(record, later)
        await uow.commit()
    assert await _get(container) == replace(record, started_at=later)
    async with container.unit_of_work() as uow:  # as read before: changed since
        assert not await uow.idempotency.take_over(record, NOON + timedelta(minutes=6))
    assert await _get(container) == replace(record, started_at=later)


async def test_take_over_leaves_an_answered_or_missing_key(container: Container) -> None:
    record = _record()
    async with container.unit_of_work() as uow:
        assert not await uow.idempotency.take_over(record, NOON + HOUR / 2)
    assert await _claim(container, record)
    await _answer(container, record)
    async with container.unit_of_work() as uow:
        assert not await uow.idempotency.take_over(record, NOON + HOUR / 2)
        await uow.commit()
    assert await _get(container) == replace(record, response=ANSWER)


async def test_remove_forgets_the_key_and_frees_it(container: Container) -> None:
    record = _record()
    assert await _claim(container, record)
    async with container.unit_of_work() as uow:
        await uow.idempotency.remove(TOKEN_ID, "key-1")
        assert await uow.idempotency.get(TOKEN_ID, "key-1") is None
        await uow.commit()
    assert await _get(container) is None
    another = _record(request_hash="b" * 64)
    assert await _claim(container, another)
    assert await _get(container) == another


async def test_purge_deletes_at_most_the_limit_and_only_expired_keys(
    container: Container,
) -> None:
    expired = [_record(f"old-{n}", ttl=timedelta(minutes=n)) for n in range(1, 4)]
    alive = [_record(f"new-{n}", ttl=HOUR * n) for n in range(1, 3)]
    for record in (*expired, *alive):
        assert await _claim(container, record)
    now = NOON + timedelta(minutes=3)  # expires_at == now counts as expired
    async with container.unit_of_work() as uow:
        assert await uow.idempotency.purge(now, 2) == 2
        await uow.commit()
    left = [record for record in expired if await _get(container, record.key) is not None]
    assert len(left) == 1
    async with container.unit_of_work() as uow:
        assert await uow.idempotency.purge(now, 2) == 1
        assert await uow.idempotency.purge(now, 2) == 0
        await uow.commit()
    for record in expired:
        assert await _get(container, record.key) is None
    for record in alive:
        assert await _get(container, record.key) == record


async def test_a_rollback_discards_claims_answers_and_removals(container: Container) -> None:
    async with container.unit_of_work() as uow:
        assert await uow.idempotency.claim(_record())
    assert await _get(container) is None
    record = _record()
    assert await _claim(container, record)
    async with container.unit_of_work() as uow:
        await uow.idempotency.answer(TOKEN_ID, "key-1", ANSWER)
        assert await uow.idempotency.take_over(record, NOON + HOUR / 2) is False
    async with container.unit_of_work() as uow:
        await uow.idempotency.remove(TOKEN_ID, "key-1")
        assert await uow.idempotency.purge(NOON + 2 * HOUR, 10) == 0
    assert await _get(container) == record


async def test_an_exception_rolls_a_claim_back(container: Container) -> None:
    async def claim_then_fail() -> None:
        async with container.unit_of_work() as uow:
            await uow.idempotency.claim(_record())
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await claim_then_fail()
    assert await _get(container) is None
    assert await _claim(container, _record())


@pytest.mark.usefixtures("overlapping_transactions")
async def test_of_two_concurrent_claims_the_second_waits_and_loses(container: Container) -> None:
    first, second = _record(), _record(request_hash="b" * 64)
    async with container.unit_of_work() as holder:
        assert await holder.idempotency.claim(first)
        waiting = asyncio.create_task(_claim(container, second))
        await asyncio.sleep(STILL_WAITING)
        assert not waiting.done()
        await holder.commit()
    assert await asyncio.wait_for(waiting, 10) is False
    assert await _get(container) == first


@pytest.mark.usefixtures("overlapping_transactions")
async def test_of_two_concurrent_claims_the_second_wins_if_the_first_rolls_back(
    container: Container,
) -> None:
    first, second = _record(), _record(request_hash="b" * 64)
    async with container.unit_of_work() as holder:
        assert await holder.idempotency.claim(first)
        waiting = asyncio.create_task(_claim(container, second))
        await asyncio.sleep(STILL_WAITING)
        assert not waiting.done()
    assert await asyncio.wait_for(waiting, 10) is True
    assert await _get(container) == second
