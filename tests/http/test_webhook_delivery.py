"""Webhooks seen from a real receiver on loopback that verifies every signature: the API's
changes through HTTP, the dispatcher in this event loop, on every backend.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
import msgspec
import pytest

from application.deliver_webhooks import DeliverWebhooks, DispatchListeners, DispatchPlan
from domain.audit import WalletEvent
from domain.errors import StoreUnavailable
from domain.model import utc_now
from domain.webhooks import DeliveryState, RetrySchedule, event_id
from entrypoints.container import Container, open_container
from entrypoints.http.schemas import wire_name
from entrypoints.logs import logging_config
from entrypoints.webhook_dispatch import WebhookDispatch, log_attempt
from entrypoints.webhook_settings import WebhookSettings
from tests.support import AUTH, KEY, OTHER_KEY, http_client, settings_for
from tests.webhook_receiver import WebhookReceiver, new_secret

SECRET = new_secret()


@dataclass
class Clock:
    """A clock the test moves: the dispatcher's time, not the machine's. It starts a second
    ahead, so that what was just committed is due.
    """

    now: datetime = field(default_factory=lambda: utc_now() + timedelta(seconds=1))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(SECRET) as running:
        yield running


@pytest.fixture
async def container(database_url: str, receiver: WebhookReceiver) -> AsyncIterator[Container]:
    webhooks = WebhookSettings(
        endpoints=(receiver.url,),
        secret=SECRET,
        timeout=2.0,
        lease=5.0,
        schedule=RetrySchedule(max_attempts=3),
    )
    async with open_container(settings_for(database_url, webhooks=webhooks)) as ready:
        yield ready
        await ready.webhook_sender().aclose()


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(container) as ready:
        yield ready


async def _user_with_wallet(client: httpx.AsyncClient, user_id: str) -> dict[str, str]:
    body = {"email": f"{user_id}@example.com", "id": user_id}
    assert (await client.post("/users", json=body, headers=AUTH)).status_code == 201
    created = await client.post(
        "/wallets/create-user-wallet", json={"userId": user_id, "encryptionKey": KEY}, headers=AUTH
    )
    assert created.status_code == 201
    wallet: dict[str, str] = created.json()
    return wallet


async def _events(container: Container, wallet_id: str) -> list[WalletEvent]:
    async with container.unit_of_work() as uow:
        events: list[WalletEvent] = await uow.events.after(wallet_id, 0, 100)
    return events


async def test_every_committed_event_arrives_signed_in_order_with_its_own_id(
    container: Container, client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    wallet = await _user_with_wallet(client, "ada")
    for action in ("suspend", "resume"):
        assert (
            await client.post(f"/wallets/user/ada/{action}", json={}, headers=AUTH)
        ).status_code == 200
    assert await container.deliver_webhooks().drain() == 3
    events = await _events(container, wallet["walletId"])
    accepted = receiver.accepted()
    assert [d.webhook_id for d in accepted] == [event_id(e.wallet_id, e.sequence) for e in events]
    assert [d.payload for d in accepted] == [
        {
            "type": f"wallet.{e.type}",
            "timestamp": msgspec.json.decode(msgspec.json.encode(e.occurred_at)),
            "data": {
                "walletId": wallet["walletId"],
                "userId": "ada",
                "publicKey": wallet["publicKey"],
                "sequence": e.sequence,
                "details": {wire_name(name): value for name, value in e.details.items()},
            },
        }
        for e in events
    ]
    assert [d.payload["type"] for d in accepted] == [
        "wallet.created",
        "wallet.suspended",
        "wallet.resumed",
    ]
    assert all(d.verified for d in receiver.deliveries)
    async with container.unit_of_work() as uow:
        assert await uow.deliveries.listed(failed_only=False, after=None, limit=10) == []


async def test_changes_that_fail_send_nothing(
    container: Container, client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    await _user_with_wallet(client, "ada")
    assert await container.deliver_webhooks().drain() == 1
    refused = [
        await client.post(
            "/wallets/create-user-wallet",
            json={"userId": "nobody", "encryptionKey": KEY},
            headers=AUTH,
        ),
        await client.post(
            "/wallets/create-user-wallet",
            json={"userId": "ada", "encryptionKey": OTHER_KEY},
            headers=AUTH,
        ),
        await client.post("/wallets/user/nobody/suspend", json={}, headers=AUTH),
    ]
    assert [r.status_code for r in refused] == [404, 409, 404]
    replay = await client.post(
        "/wallets/create-user-wallet", json={"userId": "ada", "encryptionKey": KEY}, headers=AUTH
    )
    assert replay.status_code == 200
    assert await container.deliver_webhooks().drain() == 0
    assert len(receiver.deliveries) == 1


async def test_a_failing_endpoint_is_retried_on_schedule_and_holds_the_wallets_later_events(
    container: Container, client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    receiver.answer(500)
    clock = Clock()
    dispatcher = container.deliver_webhooks(clock=clock, chance=lambda: 0.5)
    wallet = await _user_with_wallet(client, "ada")
    assert (
        await client.post("/wallets/user/ada/suspend", json={}, headers=AUTH)
    ).status_code == 200
    assert await dispatcher.drain() == 1, "the second event waits for the first"
    async with container.unit_of_work() as uow:
        listed = await uow.deliveries.listed(failed_only=False, after=None, limit=10)
    assert [(d.key.sequence, d.attempts, d.last_outcome) for d in listed] == [
        (1, 1, "HTTP 500"),
        (2, 0, None),
    ]
    assert listed[0].next_attempt_at == clock.now + timedelta(seconds=5)
    clock.advance(4)
    assert await dispatcher.drain() == 0, "not due before its delay"
    receiver.answer(200)
    clock.advance(1)
    assert await dispatcher.drain() == 2
    sequences = [d.payload["data"]["sequence"] for d in receiver.accepted()]
    assert sequences == [1, 2]
    assert {d.webhook_id for d in receiver.deliveries if d.payload["data"]["sequence"] == 1} == {
        event_id(wallet["walletId"], 1)
    }


async def test_the_last_failed_attempt_marks_it_failed_until_an_operator_requeues_it(
    container: Container, client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    receiver.down()
    clock = Clock()
    dispatcher = container.deliver_webhooks(clock=clock, chance=lambda: 0.0)
    await _user_with_wallet(client, "ada")
    for _ in range(3):  # max_attempts
        assert await dispatcher.drain() == 1
        clock.advance(3600)
    assert await dispatcher.drain() == 0
    async with container.unit_of_work() as uow:
        (failed,) = await uow.deliveries.listed(failed_only=True, after=None, limit=10)
    assert (failed.state, failed.attempts, failed.last_outcome) == (
        DeliveryState.FAILED,
        3,
        "connection refused",
    )
    receiver.up()
    assert await container.requeue_deliveries()() == 1
    assert await dispatcher.drain() == 1
    assert [d.payload["type"] for d in receiver.accepted()] == ["wallet.created"]


async def test_a_hanging_endpoint_times_out_and_is_retried(
    container: Container, client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    receiver.hang(30)
    clock = Clock()
    dispatcher = container.deliver_webhooks(clock=clock)
    await _user_with_wallet(client, "ada")
    assert await dispatcher.drain() == 1
    async with container.unit_of_work() as uow:
        (pending,) = await uow.deliveries.listed(failed_only=False, after=None, limit=10)
    assert (pending.attempts, pending.last_outcome) == (1, "timeout")
    receiver.answer(204)
    clock.advance(10)
    assert await dispatcher.drain() == 1
    assert len(receiver.accepted()) == 1


async def test_the_running_dispatcher_delivers_soon_after_each_commit(
    container: Container, client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    dispatcher: DeliverWebhooks = container.deliver_webhooks()
    running = asyncio.create_task(dispatcher.run())
    try:
        for n in range(5):
            await _user_with_wallet(client, f"user-{n}")
        await receiver.wait_for_async(lambda accepted: len(accepted) == 5, timeout=10)
    finally:
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
    assert receiver.in_order_per_wallet()
    assert receiver.overlaps() == set()


async def test_no_secret_and_no_endpoint_credential_reaches_a_log_line(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="wallet_orchestrator")
    caplog.set_level(logging.DEBUG, logger="aiosqlite")
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    with WebhookReceiver(SECRET) as receiver:
        receiver.answer(503)
        endpoint = receiver.url.replace("://", "://hook-user:hook-password@") + "?token=abc123"
        webhooks = WebhookSettings(endpoints=(endpoint,), secret=SECRET, timeout=2.0, lease=5.0)
        settings = settings_for(database_url, webhooks=webhooks)
        async with open_container(settings) as container, http_client(container) as client:
            await _user_with_wallet(client, "ada")
            dispatcher = container.deliver_webhooks(listeners=_logging_listeners())
            assert await dispatcher.drain() == 1
            await container.webhook_sender().aclose()
            text = caplog.text + repr(settings) + repr(container.webhook_sender())
    assert "to be retried" in caplog.text
    for secret in (SECRET, SECRET.removeprefix("whsec_"), "hook-password", "abc123", KEY):
        assert secret not in text
    assert receiver.deliveries[0].status == 503


def _logging_listeners() -> DispatchListeners:
    """The listeners `serve` gives its dispatcher, without the metrics' global registry."""
    return DispatchListeners(on_attempt=log_attempt)


def test_served_logs_leave_out_the_http_clients_request_lines() -> None:
    loggers = logging_config("DEBUG", "json")["loggers"]
    assert loggers["httpx"]["level"] == loggers["httpcore"]["level"] == "WARNING"


async def _metrics(client: httpx.AsyncClient) -> dict[str, float]:
    text = (await client.get("/metrics", headers=AUTH)).text
    samples = (line.rpartition(" ") for line in text.splitlines() if not line.startswith("#"))
    return {name: float(value) for name, _, value in samples if name}


async def test_the_apps_dispatcher_delivers_and_counts_its_attempts(
    container: Container, client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    dispatch = WebhookDispatch(container)
    before = await _metrics(client)
    receiver.answer(500)
    await dispatch.start()
    try:
        await _user_with_wallet(client, "ada")
        await receiver.wait_for_async(lambda _: len(receiver.deliveries) == 1, accepted=False)
        receiver.answer(200)
        await _user_with_wallet(client, "bob")
        await receiver.wait_for_async(lambda accepted: len(accepted) == 1, timeout=10)
    finally:
        await dispatch.stop()  # after the deliveries in flight are settled, and counted
    after = await _metrics(client)
    attempts = 'wallet_webhook_attempts_total{result="%s"}'
    assert after[attempts % "retrying"] - before[attempts % "retrying"] == 1
    assert after[attempts % "delivered"] - before[attempts % "delivered"] == 1
    delivered = 'wallet_webhook_deliveries_total{outcome="delivered"}'
    assert after[delivered] - before[delivered] == 1
    assert after["wallet_webhook_oldest_pending_seconds"] >= 0
    assert [d.payload["data"]["userId"] for d in receiver.accepted()] == ["bob"]


async def test_without_endpoints_the_app_starts_no_dispatcher(database_url: str) -> None:
    async with open_container(settings_for(database_url)) as container:
        dispatch = WebhookDispatch(container)
        await dispatch.start()
        assert not [t for t in asyncio.all_tasks() if t.get_name() == "webhook dispatcher"]
        await dispatch.stop()


async def test_the_dispatcher_outlives_a_store_that_fails_and_then_delivers(
    container: Container, client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    await _user_with_wallet(client, "ada")
    failures: list[BaseException] = []
    opened = 0

    def flaky_unit_of_work() -> object:
        nonlocal opened
        opened += 1
        if opened <= 3:
            raise StoreUnavailable("OSError")
        return container.unit_of_work()

    dispatcher = container.deliver_webhooks(
        uow_factory=flaky_unit_of_work,
        plan=DispatchPlan(container.settings().webhooks.urls_by_label, poll_seconds=0.05),
        listeners=DispatchListeners(on_error=failures.append),
    )
    running = asyncio.create_task(dispatcher.run())
    try:
        await receiver.wait_for_async(lambda accepted: len(accepted) == 1, timeout=10)
    finally:
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
    assert [type(error) for error in failures] == [StoreUnavailable] * 3
