"""What the served webhook tests share: the environment of a `serve` that delivers to test
receivers, a small HTTP client of the service that makes audit events, the events it lists as the
deliveries they owe, the check that a receiver got exactly those, and a watch on /ready.
"""

import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from harness.servers import ServerProcess, serving
from tests.support import AUTH, KEY, TOKEN, payment_from
from tests.webhook_receiver import Delivery, Predicate, WebhookReceiver

TESTNET = "Test SDF Network ; September 2015"
FAST_KDF = {"WALLET_KDF_MEMORY_KIB": "64", "WALLET_KDF_ITERATIONS": "1"}
MAX_EVENT_PAGES = 20
"""Pages of 100 events read per wallet at most: far more than any of these tests makes."""
MAX_READY_LOOKS = 1000
"""Looks at /ready of one ReadyWatch at most (minutes at its interval): bounded, not endless."""


def delivering(
    database_url: str,
    log: Path,
    secret: str,
    receivers: Sequence[WebhookReceiver],
    **settings: str,
) -> AbstractContextManager[ServerProcess]:
    """A started `serve` (harness.servers.serving, one worker) on `database_url`, delivering
    to `receivers` under `secret`, with cheap key stretching; `settings` are WALLET_WEBHOOK_*
    by their suffix (FIRST_RETRY_SECONDS="1").
    """
    env = {
        **FAST_KDF,
        "WALLET_WEBHOOK_URL": ",".join(receiver.url for receiver in receivers),
        "WALLET_WEBHOOK_SECRET": secret,
    }
    env |= {f"WALLET_WEBHOOK_{name}": value for name, value in settings.items()}
    return serving(database_url, log, token=TOKEN, workers=1, **env)


@dataclass(frozen=True)
class ListedEvent:
    """An audit event as GET .../events lists it, with the wallet it belongs to."""

    wallet_id: str
    user_id: str
    public_key: str
    sequence: int
    type: str
    occurred_at: datetime
    details: dict[str, str]

    @property
    def webhook_id(self) -> str:
        return f"evt_{self.wallet_id}_{self.sequence}"


class Service:
    """The service's HTTP API, on one or more instances: each call goes to the next one in turn
    (or to `on`, an index, when given). Answers are returned, not checked.
    """

    def __init__(self, servers: Sequence[ServerProcess]) -> None:
        self._servers = list(servers)
        self._turn = 0
        self._client = httpx.Client(headers=AUTH, timeout=30)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._client.close()

    def call(
        self, method: str, path: str, body: Any = None, on: int | None = None
    ) -> httpx.Response:
        url = self._servers[self._next() if on is None else on].base_url + path
        return self._client.request(method, url, json=body)

    def _next(self) -> int:
        on, self._turn = self._turn % len(self._servers), self._turn + 1
        return on

    def register(self, user_id: str, on: int | None = None) -> httpx.Response:
        body = {"email": f"{user_id}@example.com", "id": user_id}
        return self.call("POST", "/users", body, on)

    def create(self, user_id: str, key: str = KEY, on: int | None = None) -> httpx.Response:
        body = {"userId": user_id, "encryptionKey": key}
        return self.call("POST", "/wallets/create-user-wallet", body, on)

    def onboard(self, user_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Register each user and create their wallet, both on the next instance in turn; the
        wallets by user id.
        """
        wallets = {}
        for user_id in user_ids:
            on = self._next()
            assert self.register(user_id, on).status_code == 201
            created = self.create(user_id, on=on)
            assert created.status_code == 201, created.text
            wallets[user_id] = created.json()
        return wallets

    def custody(self, user_id: str, action: str, body: Any = None) -> httpx.Response:
        return self.call("POST", f"/wallets/user/{user_id}/{action}", {} if body is None else body)

    def sign(self, user_id: str, public_key: str, amount: str, key: str = KEY) -> httpx.Response:
        xdr = payment_from(public_key, amount=amount)
        body = {"encryptionKey": key, "transactionXdr": xdr, "networkPassphrase": TESTNET}
        return self.custody(user_id, "sign", body)

    def set_policy(self, user_id: str, document: Any) -> httpx.Response:
        return self.call("PUT", f"/wallets/user/{user_id}/policy", document)

    def events(self, wallet: dict[str, Any]) -> list[ListedEvent]:
        """Every event the service lists for the wallet, oldest first."""
        listed: list[ListedEvent] = []
        cursor: int | None = 0
        for _ in range(MAX_EVENT_PAGES):
            if cursor is None:
                return listed
            path = f"/wallets/user/{wallet['userId']}/events?limit=100&cursor={cursor}"
            page = self.call("GET", path)
            assert page.status_code == 200, page.text
            listed += [_listed(wallet, event) for event in page.json()["events"]]
            cursor = page.json()["nextCursor"]
        raise AssertionError(f"more than {MAX_EVENT_PAGES} pages of events")

    def all_events(self, wallets: Iterable[dict[str, Any]]) -> dict[str, ListedEvent]:
        """The events of all these wallets, by the webhook id each is delivered under."""
        return {event.webhook_id: event for wallet in wallets for event in self.events(wallet)}


def _listed(wallet: dict[str, Any], event: dict[str, Any]) -> ListedEvent:
    return ListedEvent(
        wallet["walletId"],
        wallet["userId"],
        wallet["publicKey"],
        event["sequence"],
        event["type"],
        datetime.fromisoformat(event["occurredAt"]),
        event["details"],
    )


def assert_delivered_as_listed(receiver: WebhookReceiver, expected: dict[str, ListedEvent]) -> None:
    """The receiver accepted exactly the listed events (retries aside), each verified, under its
    webhook id, with the payload the event makes, and in sequence order per wallet.
    """
    refused = [(d.webhook_id, d.reason) for d in receiver.deliveries if not d.verified]
    assert not refused, refused
    accepted = receiver.accepted()
    assert set(receiver.ids()) == set(expected), _difference(receiver.ids(), expected)
    for delivery in accepted:
        _assert_payload(delivery, expected[delivery.webhook_id])
    assert receiver.in_order_per_wallet(), receiver.sequences_per_wallet()


def _difference(ids: list[str], expected: dict[str, ListedEvent]) -> str:
    missing, extra = sorted(set(expected) - set(ids)), sorted(set(ids) - set(expected))
    return f"missing {missing}, not an event listed {extra}"


def _assert_payload(delivery: Delivery, event: ListedEvent) -> None:
    payload = delivery.payload
    assert payload["type"] == f"wallet.{event.type}", (delivery.webhook_id, payload)
    assert datetime.fromisoformat(payload["timestamp"]) == event.occurred_at, payload
    data = payload["data"]
    assert data["walletId"] == event.wallet_id, payload
    assert data["userId"] == event.user_id, payload
    assert data["publicKey"] == event.public_key, payload
    assert data["sequence"] == event.sequence, payload
    assert data["details"] == event.details, payload  # in the events route's words


def metric(server: ServerProcess, sample: str) -> float:
    """The value of one sample of the server's /metrics, by its name and labels as written
    (`wallet_webhook_attempts_total{result="retrying"}`); 0 when it is not there.
    """
    response = httpx.get(f"{server.base_url}/metrics", headers=AUTH, timeout=10)
    assert response.status_code == 200, response.text
    for line in response.text.splitlines():
        name, _, value = line.rpartition(" ")
        if name == sample:
            return float(value)
    return 0.0


def settled_metric(servers: Sequence[ServerProcess], sample: str, total: float) -> list[float]:
    """The sample on each server, once they add up to `total` (a delivery is counted just after
    the receiver answers it) or after 5 s.
    """
    values = [metric(server, sample) for server in servers]
    for _ in range(50):
        if sum(values) >= total:
            break
        time.sleep(0.1)
        values = [metric(server, sample) for server in servers]
    return values


def assert_ids_stable(receiver: WebhookReceiver) -> None:
    """Every POST (retries and cut ones too) went under the id its event makes."""
    for delivery in receiver.deliveries:
        data = delivery.payload["data"]
        assert delivery.webhook_id == f"evt_{data['walletId']}_{data['sequence']}", delivery


def attempts_of(receiver: WebhookReceiver, webhook_id: str) -> list[Delivery]:
    """Every POST of one webhook id, in the order they started."""
    found = [d for d in receiver.deliveries if d.webhook_id == webhook_id]
    return sorted(found, key=lambda delivery: delivery.started)


def every(expected: Iterable[str]) -> Predicate:
    """A receiver predicate: every one of these webhook ids was accepted."""
    wanted = set(expected)
    return lambda accepted: wanted <= {delivery.webhook_id for delivery in accepted}


def each_answered(webhook_ids: Iterable[str], status: int | None) -> Predicate:
    """A receiver predicate (of every delivery, not only the accepted): each of these webhook
    ids was answered `status` at least once (None: the sender was gone before the answer).
    """
    wanted = set(webhook_ids)
    return lambda deliveries: wanted <= {d.webhook_id for d in deliveries if d.status == status}


class ReadyWatch:
    """GET /ready on each server every `interval` seconds in a thread, until the block ends:
    `answers` holds each status (or the transport error's name).
    """

    def __init__(self, servers: Sequence[ServerProcess], interval: float = 0.25) -> None:
        self._servers = list(servers)
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ready-watch", daemon=True)
        self.answers: list[int | str] = []

    def _run(self) -> None:
        with httpx.Client(timeout=5) as client:
            for _ in range(MAX_READY_LOOKS):
                if self._stop.wait(self._interval):
                    return
                for server in self._servers:
                    try:
                        self.answers.append(client.get(f"{server.base_url}/ready").status_code)
                    except httpx.HTTPError as error:
                        self.answers.append(type(error).__name__)

    @contextmanager
    def running(self) -> Iterator["ReadyWatch"]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join(10)
