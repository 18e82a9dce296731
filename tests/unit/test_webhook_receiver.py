"""The webhook receiver that the dispatcher's tests POST to: it verifies Standard Webhooks
signatures, records every delivery, answers as told (a status, a hang, refused connections), and
tells overlapping and out-of-order deliveries apart from retries.
"""

import asyncio
import base64
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from tests.webhook_receiver import (
    Delivery,
    WebhookReceiver,
    in_order_per_wallet,
    new_secret,
    out_of_order,
    sequences_per_wallet,
)

SECRET = new_secret()
WALLET, OTHER_WALLET = "wallet-1", "wallet-2"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(SECRET) as receiver:
        yield receiver
    assert [t.name for t in threading.enumerate() if t.name.startswith("webhook-")] == []


def _event(sequence: int, wallet: str = WALLET) -> str:
    data = {"walletId": wallet, "userId": "user-1", "publicKey": "G...", "sequence": sequence}
    data["details"] = {}
    return json.dumps({"type": "wallet.created", "timestamp": "2025-01-01T00:00:00Z", "data": data})


def _headers(
    webhook_id: str, body: str, secret: str = SECRET, when: datetime | None = None
) -> dict[str, str]:
    when = when or datetime.now(UTC)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, when, body),
        "content-type": "application/json",
    }


def _post(url: str, webhook_id: str, body: str, timeout: float = 2.0) -> httpx.Response:
    return httpx.post(url, content=body, headers=_headers(webhook_id, body), timeout=timeout)


async def _post_async(url: str, webhook_id: str, body: str, timeout: float = 2.0) -> int:
    async with httpx.AsyncClient(timeout=timeout) as client:
        response = await client.post(url, content=body, headers=_headers(webhook_id, body))
        return response.status_code


def test_a_signed_post_is_accepted_and_recorded_verified(receiver: WebhookReceiver) -> None:
    body = _event(1)
    assert _post(receiver.url, "msg_1", body).status_code == 200
    [delivery] = receiver.deliveries
    assert delivery.verified
    assert delivery.status == 200
    assert (delivery.webhook_id, delivery.body) == ("msg_1", body.encode())
    assert delivery.payload["data"]["sequence"] == 1
    assert delivery.signature.startswith("v1,")
    assert delivery.started <= delivery.ended
    assert receiver.accepted() == [delivery]
    assert receiver.ids() == ["msg_1"]
    assert receiver.url == f"http://127.0.0.1:{receiver.port}/hooks"


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda h: h | _headers("msg_1", _event(1), new_secret()), id="other-secret"),
        pytest.param(lambda h: h | _headers("msg_1", _event(2)), id="other-body"),
        pytest.param(lambda h: h | {"webhook-id": "msg_2"}, id="other-id"),
        pytest.param(lambda h: h | {"webhook-signature": "v1"}, id="malformed"),
        pytest.param(lambda h: {k: v for k, v in h.items() if k != "webhook-id"}, id="no-id"),
        pytest.param(
            lambda h: h | _headers("msg_1", _event(1), when=datetime.now(UTC) - timedelta(hours=1)),
            id="stale",
        ),
    ],
)
def test_a_post_that_does_not_verify_is_400_and_recorded_unverified(
    receiver: WebhookReceiver, spoil: Any
) -> None:
    body = _event(1)
    response = httpx.post(receiver.url, content=body, headers=spoil(_headers("msg_1", body)))
    assert response.status_code == 400
    [delivery] = receiver.deliveries
    assert (delivery.verified, delivery.status, delivery.body) == (False, 400, body.encode())
    assert delivery.reason
    assert receiver.accepted() == []


def test_a_signed_body_that_is_not_json_is_400(receiver: WebhookReceiver) -> None:
    assert _post(receiver.url, "msg_1", "not json").status_code == 400
    [delivery] = receiver.deliveries
    assert (delivery.verified, delivery.payload, delivery.status) == (True, None, 400)
    assert not delivery.accepted


def test_the_status_answered_is_the_one_set_last(receiver: WebhookReceiver) -> None:
    receiver.answer(500)
    assert _post(receiver.url, "msg_1", _event(1)).status_code == 500
    receiver.answer(204)
    assert _post(receiver.url, "msg_1", _event(1)).status_code == 204
    assert [d.status for d in receiver.deliveries] == [500, 204]
    assert receiver.ids() == ["msg_1"]


def test_down_refuses_connections_and_up_listens_again_at_the_same_url(
    receiver: WebhookReceiver,
) -> None:
    url = receiver.url
    with httpx.Client(timeout=2.0) as kept_alive:
        body = _event(1)
        assert kept_alive.post(url, content=body, headers=_headers("msg_1", body)).is_success
        receiver.down()
        begun = time.monotonic()
        with pytest.raises(httpx.ConnectError, match="refused"):
            _post(url, "msg_2", _event(2))
        assert time.monotonic() - begun < 1.0
        with pytest.raises(httpx.TransportError):  # the open connection was cut too
            kept_alive.post(url, content=body, headers=_headers("msg_3", body))
        receiver.up()
        assert receiver.url == url
        assert kept_alive.post(url, content=body, headers=_headers("msg_4", body)).is_success
    assert receiver.ids() == ["msg_1", "msg_4"]


def test_a_hang_outlasts_a_short_client_timeout(receiver: WebhookReceiver) -> None:
    receiver.hang(2.0)
    begun = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        _post(receiver.url, "msg_1", _event(1), timeout=0.2)
    assert time.monotonic() - begun < 1.0
    receiver.wait_for(lambda deliveries: len(deliveries) == 1, timeout=1.0, accepted=False)
    [delivery] = receiver.deliveries
    assert delivery.status is None  # the client had gone: nothing was answered
    assert delivery.ended - delivery.started < 1.0  # seen gone, not waited out
    assert receiver.accepted() == []


def test_a_hang_ends_with_the_status_current_then(receiver: WebhookReceiver) -> None:
    receiver.answer(503)
    receiver.hang(0.3)
    begun = time.monotonic()
    assert _post(receiver.url, "msg_1", _event(1)).status_code == 503
    assert time.monotonic() - begun >= 0.3


def test_answer_releases_the_requests_hanging(receiver: WebhookReceiver) -> None:
    receiver.hang(30.0)
    statuses: list[int] = []
    client = threading.Thread(
        target=lambda: statuses.append(_post(receiver.url, "msg_1", _event(1), 5.0).status_code)
    )
    client.start()
    _wait_until(lambda: receiver.in_flight() == ["msg_1"])
    receiver.answer(202)
    client.join(2.0)
    assert statuses == [202]
    assert receiver.ids() == ["msg_1"]


async def test_the_same_id_twice_at_once_is_an_overlap(receiver: WebhookReceiver) -> None:
    receiver.hang(0.3)
    body = _event(1)
    statuses = await asyncio.gather(
        _post_async(receiver.url, "msg_1", body), _post_async(receiver.url, "msg_2", body)
    )
    assert list(statuses) == [200, 200]
    first, second = receiver.deliveries
    assert first.started < second.ended
    assert second.started < first.ended  # in flight at once
    assert receiver.overlaps() == set()  # different ids at once are fine
    statuses = await asyncio.gather(
        _post_async(receiver.url, "msg_3", body), _post_async(receiver.url, "msg_3", body)
    )
    assert list(statuses) == [200, 200]
    assert receiver.overlaps() == {"msg_3"}


async def test_the_same_id_again_after_an_answer_or_a_timeout_is_no_overlap(
    receiver: WebhookReceiver,
) -> None:
    body = _event(1)
    receiver.answer(500)
    assert await _post_async(receiver.url, "msg_1", body) == 500
    assert await _post_async(receiver.url, "msg_1", body) == 500
    receiver.hang(1.0)
    for _ in range(2):  # the client gives up, then retries at once
        with pytest.raises(httpx.ReadTimeout):
            await _post_async(receiver.url, "msg_1", body, timeout=0.2)
    receiver.answer(200)
    assert await _post_async(receiver.url, "msg_1", body) == 200
    assert len(receiver.deliveries) == 5
    assert receiver.overlaps() == set()


async def test_wait_for_async_lets_the_event_loop_deliver(receiver: WebhookReceiver) -> None:
    async def dispatch_later() -> int:
        await asyncio.sleep(0.1)
        return await _post_async(receiver.url, "msg_1", _event(1))

    dispatching = asyncio.create_task(dispatch_later())
    assert await receiver.wait_for_async(lambda accepted: len(accepted) == 1, timeout=2.0)
    assert await dispatching == 200


def test_wait_for_says_what_it_saw_when_it_gives_up(receiver: WebhookReceiver) -> None:
    receiver.answer(500)
    _post(receiver.url, "msg_1", _event(1))
    begun = time.monotonic()
    with pytest.raises(AssertionError, match=r"1 deliveries .* statuses \{500: 1\}"):
        receiver.wait_for(lambda accepted: len(accepted) == 1, timeout=0.2)
    assert 0.2 <= time.monotonic() - begun < 1.0


def test_closing_with_a_request_hanging_is_prompt_and_leaves_no_thread() -> None:
    before = set(threading.enumerate())
    errors: list[Exception] = []

    def post(url: str) -> None:
        try:
            _post(url, "msg_1", _event(1), timeout=10.0)
        except httpx.TransportError as error:
            errors.append(error)

    with WebhookReceiver(SECRET) as receiver:
        receiver.hang(30.0)
        client = threading.Thread(target=post, args=(receiver.url,))
        client.start()
        _wait_until(lambda: receiver.in_flight() == ["msg_1"])
        begun = time.monotonic()
    assert time.monotonic() - begun < 1.0
    client.join(2.0)
    assert len(errors) == 1  # the client saw its connection cut, not an answer
    assert [d.status for d in receiver.deliveries] == [None]
    assert set(threading.enumerate()) == before
    with pytest.raises(httpx.ConnectError):
        _post(receiver.url, "msg_2", _event(2))


def test_the_ordering_helpers_see_through_retries() -> None:
    def delivery(webhook_id: str, sequence: int, wallet: str = WALLET, status: int = 200) -> Any:
        body = _event(sequence, wallet)
        started = time.monotonic()
        return Delivery(
            webhook_id,
            "0",
            "v1,x",
            body.encode(),
            json.loads(body),
            status=status,
            verified=True,
            started=started,
            ended=started,
        )

    in_order = [
        delivery("a", 1),
        delivery("b", 2, OTHER_WALLET),
        delivery("c", 2),
        delivery("d", 1, OTHER_WALLET),
    ]
    assert not in_order_per_wallet(in_order)
    assert out_of_order(in_order) == {OTHER_WALLET: [2, 1]}
    assert sequences_per_wallet(in_order) == {WALLET: {1, 2}, OTHER_WALLET: {1, 2}}
    retried = [delivery("a", 1), delivery("b", 2), delivery("a", 1), delivery("c", 3)]
    assert in_order_per_wallet(retried)
    refused_then_skipped = [delivery("a", 1, status=500), delivery("b", 2), delivery("a", 1)]
    assert out_of_order(refused_then_skipped) == {WALLET: [2, 1]}


def test_the_receiver_tells_out_of_order_arrivals(receiver: WebhookReceiver) -> None:
    for webhook_id, sequence in [("msg_1", 1), ("msg_2", 2), ("msg_1", 1)]:
        assert _post(receiver.url, webhook_id, _event(sequence)).status_code == 200
    assert receiver.in_order_per_wallet()
    _post(receiver.url, "msg_0", _event(0))
    assert not receiver.in_order_per_wallet()
    assert receiver.sequences_per_wallet() == {WALLET: {0, 1, 2}}


def test_new_secret_is_32_random_bytes_the_library_accepts() -> None:
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32
    assert first != second
    body = _event(1)
    headers = _headers("msg_1", body, first)
    assert Webhook(first).verify(body, headers) == json.loads(body)


def _wait_until(condition: Any, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true"
        time.sleep(0.01)
