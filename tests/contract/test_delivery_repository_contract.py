"""The webhook outbox's contract (DeliveryRepository, and the queueing every event write does),
run against in-memory, SQLite and PostgreSQL.
"""

import secrets
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from domain.audit import EventType, WalletEvent
from domain.model import User, Wallet, utc_now
from domain.webhooks import Delivery, DeliveryKey, DeliveryState, DueDelivery
from entrypoints.container import Container, open_container
from entrypoints.webhook_settings import WebhookSettings
from tests.support import settings_for

ONE, TWO = "http://127.0.0.1:9/one", "http://127.0.0.1:9/two"
SECRET = "whsec_" + "A" * 32
LEASE = timedelta(seconds=30)


@pytest.fixture
async def outbox(database_url: str) -> AsyncIterator[Container]:
    """A migrated container whose events are owed to two endpoints, ringing a list on commit."""
    webhooks = WebhookSettings(endpoints=(ONE, TWO), secret=SECRET)
    async with open_container(settings_for(database_url, webhooks=webhooks)) as ready:
        yield ready


async def _wallet(container: Container, email: str = "ada@example.com") -> Wallet:
    user = User.register(email)
    public_key = "G" + secrets.token_hex(28)[:55].upper()
    wallet = Wallet.create_for(user.id, public_key, "wo1$envelope")
    created = WalletEvent.after(None, wallet.id, EventType.CREATED, None)
    async with container.unit_of_work() as uow:
        assert await uow.users.add(user)
        assert await uow.wallets.add(wallet, created) == wallet
        await uow.commit()
    return wallet


async def _events(container: Container, wallet: Wallet, count: int) -> list[WalletEvent]:
    """Append `count` more events to the wallet's chain, committed."""
    async with container.unit_of_work() as uow:
        appended = []
        for _ in range(count):
            last = await uow.events.last(wallet.id)
            event = WalletEvent.after(last, wallet.id, EventType.SIGNED, "t1", {"n": "1"})
            await uow.events.append(event)
            appended.append(event)
        await uow.commit()
    return appended


async def _claim(
    container: Container, claimer: str, limit: int = 10, *, later: float = 0
) -> list[DueDelivery]:
    async with container.unit_of_work() as uow:
        now = utc_now() + timedelta(seconds=later)
        claimed: list[DueDelivery] = await uow.deliveries.claim(
            (ONE, TWO), now, LEASE, claimer, limit
        )
        await uow.commit()
    return claimed


async def _listed(container: Container, *, failed_only: bool = False) -> list[Delivery]:
    async with container.unit_of_work() as uow:
        listed: list[Delivery] = await uow.deliveries.listed(
            failed_only=failed_only, after=None, limit=100
        )
    return listed


async def test_without_endpoints_nothing_is_queued(container: Container) -> None:
    wallet = await _wallet(container)
    await _events(container, wallet, 2)
    assert await _listed(container) == []
    async with container.unit_of_work() as uow:
        assert await uow.deliveries.oldest_pending() is None


async def test_every_committed_event_is_owed_to_every_endpoint(outbox: Container) -> None:
    wallet = await _wallet(outbox)
    await _events(outbox, wallet, 1)
    listed = await _listed(outbox)
    assert [(d.key.endpoint, d.key.sequence) for d in listed] == [
        (ONE, 1),
        (ONE, 2),
        (TWO, 1),
        (TWO, 2),
    ]
    assert {d.state for d in listed} == {DeliveryState.PENDING}
    assert [d.event_type for d in listed] == ["created", "signed"] * 2
    assert all(d.attempts == 0 for d in listed)


async def test_a_rolled_back_event_owes_nothing(outbox: Container) -> None:
    wallet = await _wallet(outbox)
    async with outbox.unit_of_work() as uow:
        last = await uow.events.last(wallet.id)
        await uow.events.append(WalletEvent.after(last, wallet.id, EventType.SIGNED, None))
    assert {d.key.sequence for d in await _listed(outbox)} == {1}


async def test_a_claim_takes_the_earliest_pending_event_of_each_wallet_per_endpoint(
    outbox: Container,
) -> None:
    ada = await _wallet(outbox, "ada@example.com")
    bob = await _wallet(outbox, "bob@example.com")
    await _events(outbox, ada, 2)
    claimed = await _claim(outbox, "c1")
    assert sorted((d.key.endpoint, d.key.wallet_id, d.key.sequence) for d in claimed) == sorted(
        [(ONE, ada.id, 1), (TWO, ada.id, 1), (ONE, bob.id, 1), (TWO, bob.id, 1)]
    )
    first = next(d for d in claimed if d.key.wallet_id == ada.id)
    assert (first.user_id, first.public_key, first.attempts) == (ada.user_id, ada.public_key, 1)
    assert first.event.type == EventType.CREATED
    assert first.event.wallet_id == ada.id
    assert await _claim(outbox, "c2") == [], "leased, and later events wait for them"


async def test_a_delivered_event_lets_the_next_one_of_its_wallet_go(outbox: Container) -> None:
    wallet = await _wallet(outbox)
    await _events(outbox, wallet, 1)
    (one, _) = sorted(await _claim(outbox, "c1"), key=lambda d: d.key.endpoint)
    async with outbox.unit_of_work() as uow:
        assert await uow.deliveries.delivered(one.key, "c1")
        await uow.commit()
    (following,) = await _claim(outbox, "c1")
    assert (following.key.endpoint, following.key.sequence) == (ONE, 2)
    assert [(d.key.endpoint, d.key.sequence) for d in await _listed(outbox)] == [
        (ONE, 2),
        (TWO, 1),
        (TWO, 2),
    ]


async def test_a_retried_delivery_is_due_again_at_its_moment_and_holds_its_wallet(
    outbox: Container,
) -> None:
    wallet = await _wallet(outbox)
    await _events(outbox, wallet, 1)
    claimed = await _claim(outbox, "c1")
    async with outbox.unit_of_work() as uow:
        for due in claimed:
            moment = utc_now() + timedelta(seconds=60)
            assert await uow.deliveries.retry_at(due.key, "c1", moment, "HTTP 500")
        await uow.commit()
    assert await _claim(outbox, "c2") == [], "not due yet, and the second event waits"
    again = await _claim(outbox, "c2", later=61)
    assert {(d.key.sequence, d.attempts) for d in again} == {(1, 2)}
    listed = await _listed(outbox)
    assert {d.last_outcome for d in listed if d.key.sequence == 1} == {"HTTP 500"}


async def test_a_lease_runs_out_and_then_its_holder_can_no_longer_settle(
    outbox: Container,
) -> None:
    wallet = await _wallet(outbox)
    claimed = await _claim(outbox, "dead")
    assert len(claimed) == 2
    assert await _claim(outbox, "alive", later=5) == []
    taken = await _claim(outbox, "alive", later=31)
    assert {d.attempts for d in taken} == {2}
    async with outbox.unit_of_work() as uow:
        for due in claimed:
            assert not await uow.deliveries.delivered(due.key, "dead")
            assert not await uow.deliveries.give_up(due.key, "dead", "timeout")
            assert not await uow.deliveries.retry_at(due.key, "dead", utc_now(), "timeout")
        for due in taken:
            assert await uow.deliveries.delivered(due.key, "alive")
        await uow.commit()
    assert await _listed(outbox) == []
    assert wallet.id


async def test_a_failed_delivery_stops_holding_its_wallet_and_can_be_requeued(
    outbox: Container,
) -> None:
    wallet = await _wallet(outbox)
    await _events(outbox, wallet, 1)
    claimed = await _claim(outbox, "c1")
    async with outbox.unit_of_work() as uow:
        for due in claimed:
            assert await uow.deliveries.give_up(due.key, "c1", "connection refused")
        await uow.commit()
    failed = await _listed(outbox, failed_only=True)
    assert [(d.key.sequence, d.state, d.last_outcome) for d in failed] == [
        (1, DeliveryState.FAILED, "connection refused")
    ] * 2
    assert {d.key.sequence for d in await _claim(outbox, "c1")} == {2}
    async with outbox.unit_of_work() as uow:
        assert await uow.deliveries.requeue(utc_now()) == 2
        await uow.commit()
    assert await _listed(outbox, failed_only=True) == []
    requeued = [d for d in await _listed(outbox) if d.key.sequence == 1]
    assert [(d.state, d.attempts) for d in requeued] == [(DeliveryState.PENDING, 0)] * 2


async def test_one_event_can_be_requeued_by_its_wallet_and_sequence(outbox: Container) -> None:
    wallet = await _wallet(outbox)
    claimed = await _claim(outbox, "c1")
    async with outbox.unit_of_work() as uow:
        await uow.deliveries.retry_at(claimed[0].key, "c1", utc_now() + LEASE * 100, "HTTP 502")
        assert await uow.deliveries.requeue(utc_now(), (wallet.id, 1)) == 2
        assert await uow.deliveries.requeue(utc_now(), (wallet.id, 9)) == 0
        await uow.commit()
    assert len(await _claim(outbox, "c2")) == 2, "due now, the lease of the other released"


async def test_the_oldest_pending_delivery_is_reported(outbox: Container) -> None:
    before = utc_now()
    await _wallet(outbox)
    async with outbox.unit_of_work() as uow:
        oldest = await uow.deliveries.oldest_pending()
    assert oldest is not None
    assert before - timedelta(seconds=1) <= oldest <= utc_now()


async def test_listing_pages_in_key_order(outbox: Container) -> None:
    wallet = await _wallet(outbox)
    await _events(outbox, wallet, 3)
    seen: list[DeliveryKey] = []
    after = None
    while True:
        async with outbox.unit_of_work() as uow:
            page = await uow.deliveries.listed(failed_only=False, after=after, limit=3)
        seen.extend(d.key for d in page)
        if len(page) < 3:
            break
        after = page[-1].key
    assert seen == [DeliveryKey(e, wallet.id, n) for e in (ONE, TWO) for n in (1, 2, 3, 4)]


async def test_a_commit_that_queued_rings_and_one_that_did_not_stays_silent(
    database_url: str,
) -> None:
    rung: list[int] = []
    webhooks = WebhookSettings(endpoints=(ONE,), secret=SECRET)
    async with open_container(settings_for(database_url, webhooks=webhooks)) as container:
        container.webhook_doorbell.override(_Counter(rung))
        wallet = await _wallet(container)
        assert len(rung) == 1
        async with container.unit_of_work() as uow:
            await uow.users.add(User.register("bob@example.com"))
            await uow.commit()
        assert len(rung) == 1
        await _events(container, wallet, 1)
        assert len(rung) == 2


class _Counter:
    def __init__(self, rung: list[int]) -> None:
        self._rung = rung

    def ring(self) -> None:
        self._rung.append(1)


@pytest.mark.usefixtures("overlapping_transactions")
async def test_concurrent_claimers_skip_each_others_rows_without_waiting(
    outbox: Container,
) -> None:
    for n in range(4):
        await _wallet(outbox, f"user{n}@example.com")
    async with outbox.unit_of_work() as first:
        mine = await first.deliveries.claim((ONE, TWO), utc_now(), LEASE, "first", 3)
        async with outbox.unit_of_work() as second:
            theirs = await second.deliveries.claim((ONE, TWO), utc_now(), LEASE, "second", 10)
            await second.commit()
        await first.commit()
    assert len(mine) == 3
    assert len(theirs) == 5
    assert not {d.key for d in mine} & {d.key for d in theirs}
