"""A Standard Webhooks receiver for tests: a real HTTP server on 127.0.0.1 that verifies and records
every POST, answers as the test says (a status, a hang, connections refused), and answers the
questions a dispatcher's tests ask (what was accepted, in what order, was any webhook in flight
twice at once). It serves from threads, so synchronous tests, async tests (the dispatcher in the
same event loop) and other processes all reach it alike.
"""

import asyncio
import base64
import contextlib
import json
import math
import secrets
import selectors
import socket
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

POLL = 0.01  # seconds between two looks of wait_for
SLICE = 0.02  # seconds a hung request waits between two looks at the mode
JOIN = 1.0  # seconds closing waits for the server's threads, all together
Predicate = Callable[[list["Delivery"]], bool]
_Request = socket.socket | tuple[bytes, socket.socket]


def new_secret() -> str:
    """A fresh Standard Webhooks secret: "whsec_" and the base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass(frozen=True)
class Delivery:
    """One POST as received. `status` is what it was answered; None when no answer reached the
    client (it had gone, or down() or the exit cut the connection). `started` and `ended` are
    time.monotonic(): from the request read to just before the answer was written (so that a
    retry sent after the answer always starts later), or to when the client was seen gone.
    """

    webhook_id: str
    timestamp: str
    signature: str
    body: bytes
    payload: Any  # the parsed JSON body; None when it is not JSON
    verified: bool
    status: int | None
    started: float
    ended: float
    reason: str = ""  # why it was refused with 400

    @property
    def accepted(self) -> bool:
        return self.verified and self.status is not None and 200 <= self.status < 300


def sequences_per_wallet(deliveries: Iterable[Delivery]) -> dict[str, set[int]]:
    """The `data.sequence`s accepted for each `data.walletId`."""
    accepted: defaultdict[str, set[int]] = defaultdict(set)
    for delivery in deliveries:
        if delivery.accepted:
            wallet, sequence = _wallet_event(delivery)
            accepted[wallet].add(sequence)
    return dict(accepted)


def out_of_order(deliveries: Iterable[Delivery]) -> dict[str, list[int]]:
    """The wallets whose accepted sequences arrived in a decreasing step, each with its accepted
    sequences in arrival order. A webhook id accepted again (a retry) counts only the first time.
    """
    arrived: defaultdict[str, list[int]] = defaultdict(list)
    seen: set[str] = set()
    for delivery in sorted(deliveries, key=lambda delivery: delivery.started):
        if delivery.accepted and delivery.webhook_id not in seen:
            seen.add(delivery.webhook_id)
            wallet, sequence = _wallet_event(delivery)
            arrived[wallet].append(sequence)
    return {wallet: found for wallet, found in arrived.items() if found != sorted(found)}


def in_order_per_wallet(deliveries: Iterable[Delivery]) -> bool:
    """Whether every wallet's accepted sequences arrived non-decreasing (retries aside)."""
    return not out_of_order(deliveries)


def _wallet_event(delivery: Delivery) -> tuple[str, int]:
    payload = delivery.payload if isinstance(delivery.payload, dict) else {}
    data = payload.get("data")
    wallet, sequence = (
        (data.get("walletId"), data.get("sequence")) if isinstance(data, dict) else 2 * (None,)
    )
    if isinstance(wallet, str) and isinstance(sequence, int) and not isinstance(sequence, bool):
        return wallet, sequence
    shape = "no data.walletId and integer data.sequence"
    raise AssertionError(f"webhook {delivery.webhook_id!r} has {shape}: {delivery.body!r}")


@dataclass
class _Flight:
    """A request being handled: the mode it met on arrival, and when it ended, once it has."""

    index: int
    webhook_id: str
    connection: socket.socket
    started: float
    hang: float
    release: int
    ended: float | None = None


class WebhookReceiver:
    """`with WebhookReceiver(secret) as receiver:` serves `receiver.url` until the block ends.

    Modes, switchable at any time from any thread: `answer(status)` (200 at first) answers every
    verified POST with that status at once, ending any hang, also of requests already hanging;
    `hang(seconds)` holds each new request that long, then answers the status current then;
    `down()` stops listening (connections are refused, open ones are cut) and keeps the port, so
    that `up()` listens again at the same URL. A POST whose signature does not verify, or whose
    body is not JSON, is answered 400. Every POST to the path is recorded as a `Delivery`.
    """

    def __init__(self, secret: str, path: str = "/hooks") -> None:
        self.path = path
        self._webhook = Webhook(secret)
        self._lock = threading.Lock()  # the mode and the records; never held across a wait
        self._life = threading.Lock()  # enter, down, up and close, one at a time
        self._status, self._hang, self._release = 200, 0.0, 0
        self._records: list[Delivery | None] = []  # by arrival; None while in flight
        self._flights: dict[int, _Flight] = {}
        self._connections: dict[threading.Thread, socket.socket] = {}
        self._server = _Server(self)
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}{path}"
        self._accepting: _AcceptLoop | None = None
        self._entered = self._is_down = self._closed = False

    def __enter__(self) -> Self:
        with self._life:
            self._entered = True
            if not self._is_down:
                self._accepting = _AcceptLoop(self._server)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving, cut open connections (hung ones too) and wait for the threads."""
        with self._life:
            if self._closed:
                return
            self._closed = True
            self._stop_accepting()
            threads = self._cut_connections()
            deadline = time.monotonic() + JOIN
            for thread in threads:
                thread.join(max(0.0, deadline - time.monotonic()))
            self._server.server_close()

    def answer(self, status: int) -> None:
        if not 200 <= status <= 599:
            raise ValueError(f"not a final HTTP status: {status}")
        with self._lock:
            self._status, self._hang, self._release = status, 0.0, self._release + 1

    def hang(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a hang lasts zero seconds or more")
        with self._lock:
            self._hang = seconds

    def down(self) -> None:
        with self._life:
            if self._is_down or self._closed:
                return
            self._is_down = True
            self._stop_accepting()
            self._server.socket.close()
            self._server.socket = _holding(self.port)
            self._cut_connections()

    def up(self) -> None:
        with self._life:
            if not self._is_down or self._closed:
                return
            self._is_down = False
            self._server.server_activate()  # listen() on the socket that held the port
            if self._entered:
                self._accepting = _AcceptLoop(self._server)

    @property
    def deliveries(self) -> list[Delivery]:
        """Every finished POST, in arrival order."""
        with self._lock:
            return [delivery for delivery in self._records if delivery is not None]

    def accepted(self) -> list[Delivery]:
        """The deliveries verified and answered 2xx, in arrival order."""
        return [delivery for delivery in self.deliveries if delivery.accepted]

    def ids(self) -> list[str]:
        """The webhook ids accepted, in arrival order, a retried one as often as accepted."""
        return [delivery.webhook_id for delivery in self.accepted()]

    def in_flight(self) -> list[str]:
        """The webhook ids of the requests being handled (hanging ones among them)."""
        with self._lock:
            return [flight.webhook_id for flight in self._flights.values() if flight.ended is None]

    def overlaps(self) -> set[str]:
        """The webhook ids that were ever in flight twice at the same moment. A request answered
        at once hardly overlaps anything: hang() to keep requests in flight long enough to tell.
        """
        with self._lock:
            spans = [(d.webhook_id, d.started, d.ended) for d in self._records if d is not None]
            spans += [
                (f.webhook_id, f.started, math.inf if f.ended is None else f.ended)
                for f in self._flights.values()
            ]
        return _overlapping(spans)

    def in_order_per_wallet(self) -> bool:
        return in_order_per_wallet(self.deliveries)

    def sequences_per_wallet(self) -> dict[str, set[int]]:
        return sequences_per_wallet(self.deliveries)

    def wait_for(
        self, predicate: Predicate, timeout: float = 5.0, *, accepted: bool = True
    ) -> bool:
        """Poll until `predicate` holds for the accepted deliveries (every delivery when
        `accepted` is False): True, or AssertionError after `timeout` seconds. Blocks the
        thread: in async tests, await `wait_for_async`.
        """
        if predicate(self._among(accepted=accepted)):
            return True
        for pause in _pauses(timeout):
            time.sleep(pause)
            if predicate(self._among(accepted=accepted)):
                return True
        raise AssertionError(self._timed_out(timeout))

    async def wait_for_async(
        self, predicate: Predicate, timeout: float = 5.0, *, accepted: bool = True
    ) -> bool:
        """`wait_for` sleeping with asyncio, so that the event loop runs on meanwhile."""
        if predicate(self._among(accepted=accepted)):
            return True
        for pause in _pauses(timeout):
            await asyncio.sleep(pause)
            if predicate(self._among(accepted=accepted)):
                return True
        raise AssertionError(self._timed_out(timeout))

    def _among(self, *, accepted: bool) -> list[Delivery]:
        return self.accepted() if accepted else self.deliveries

    def _timed_out(self, timeout: float) -> str:
        deliveries = self.deliveries
        statuses = Counter(delivery.status for delivery in deliveries)
        refused = Counter(delivery.reason for delivery in deliveries if not delivery.verified)
        return (
            f"not within {timeout} s: {len(deliveries)} deliveries to {self.url}, "
            f"statuses {dict(statuses)}, refused {dict(refused)}, in flight {self.in_flight()}, "
            f"last accepted ids {self.ids()[-10:]}"
        )

    def _stop_accepting(self) -> None:
        if self._accepting is not None:
            self._accepting.stop()
            self._accepting = None

    def _cut_connections(self) -> list[threading.Thread]:
        with self._lock:
            connections = dict(self._connections)
        for connection in connections.values():
            with contextlib.suppress(OSError):  # already closed by its own thread
                connection.shutdown(socket.SHUT_RDWR)
        return list(connections)

    def _track(self, thread: threading.Thread, connection: socket.socket) -> None:
        with self._lock:
            self._connections[thread] = connection

    def _untrack(self, thread: threading.Thread) -> None:
        with self._lock:
            self._connections.pop(thread, None)

    def _receive(self, handler: "_Handler", body: bytes) -> None:
        headers = {name.lower(): value for name, value in handler.headers.items()}
        reason = _refusal(self._webhook, body, headers)
        payload = _json(body)
        verified = not reason
        reason = reason or ("" if payload is not None else "the body is not JSON")
        flight = self._arrive(headers.get("webhook-id", ""), handler.connection)
        gone = self._hold(flight)
        received = Delivery(
            flight.webhook_id,
            headers.get("webhook-timestamp", ""),
            headers.get("webhook-signature", ""),
            body,
            payload,
            verified,
            None,
            flight.started,
            flight.started,
            reason,
        )
        delivery = self._finish(flight, received, answering=not gone, refused=bool(reason))
        if delivery.status is not None and not _answer(handler, delivery.status, reason):
            with self._lock:
                self._records[flight.index] = replace(delivery, status=None)

    def _finish(
        self, flight: _Flight, received: Delivery, *, answering: bool, refused: bool
    ) -> Delivery:
        """Record the delivery before answering, so that whoever has the answer finds it."""
        with self._lock:
            flight.ended = flight.ended or time.monotonic()
            status = None if not answering else 400 if refused else self._status
            delivery = replace(received, status=status, ended=flight.ended)
            self._records[flight.index] = delivery
            del self._flights[flight.index]
            return delivery

    def _arrive(self, webhook_id: str, connection: socket.socket) -> _Flight:
        with self._lock:
            # A client that gave up on a request and retries it is not sending it twice at once.
            for other in self._flights.values():
                same = other.webhook_id == webhook_id and other.ended is None
                if same and _client_gone(other.connection):
                    other.ended = time.monotonic()
            flight = _Flight(
                len(self._records),
                webhook_id,
                connection,
                time.monotonic(),
                self._hang,
                self._release,
            )
            self._records.append(None)
            self._flights[flight.index] = flight
            return flight

    def _hold(self, flight: _Flight) -> bool:
        """Hang as the mode said on arrival; whether the client went away (or was cut) meanwhile."""
        deadline = flight.started + flight.hang
        with selectors.DefaultSelector() as selector:
            selector.register(flight.connection, selectors.EVENT_READ)
            for _ in range(math.ceil(flight.hang / SLICE) + 1):
                remaining = deadline - time.monotonic()
                with self._lock:
                    released = self._release != flight.release
                if remaining <= 0 or released:
                    return False
                if selector.select(min(remaining, SLICE)):
                    if _client_gone(flight.connection):
                        return True
                    time.sleep(min(remaining, SLICE))  # a pipelined request: not gone
        return False


class _AcceptLoop:
    """Accepts connections for `server` in a thread until `stop`, which returns at once."""

    def __init__(self, server: "_Server") -> None:
        self._server = server
        self._wake_in, self._wake_out = socket.socketpair()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webhook-receiver", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake_out.send(b"\0")
        self._thread.join(JOIN)
        self._wake_in.close()
        self._wake_out.close()

    def _run(self) -> None:
        listening = self._server.socket
        with selectors.DefaultSelector() as selector:
            selector.register(listening, selectors.EVENT_READ)
            selector.register(self._wake_in, selectors.EVENT_READ)
            while not self._stopping.is_set():
                ready = selector.select(timeout=1.0)
                if (
                    any(key.fileobj is listening for key, _ in ready)
                    and not self._stopping.is_set()
                ):
                    try:
                        request, address = self._server.get_request()
                    except OSError:  # gone before it was accepted
                        continue
                    self._server.process_request(request, address)


class _Server(HTTPServer):
    def __init__(self, receiver: WebhookReceiver) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.socket.settimeout(0)  # the accept loop selects first; a vanished client won't block
        self.receiver = receiver

    def process_request(self, request: _Request, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve, args=(request, client_address), name="webhook-request", daemon=True
        )
        if isinstance(request, socket.socket):
            request.settimeout(None)  # some systems pass the listener's non-blocking mode on
            self.receiver._track(thread, request)
        thread.start()

    def handle_error(self, request: _Request, client_address: Any) -> None:
        """Quiet for a connection the client or down() cut; loud for anything else."""
        if not isinstance(sys.exception(), OSError):
            super().handle_error(request, client_address)

    def _serve(self, request: _Request, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - handle_error reports what it should
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            self.receiver._untrack(threading.current_thread())


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length")
        body = self.rfile.read(int(length or 0))
        if length is None:  # a chunked body would be read as the next request
            self.close_connection = True
        if urlsplit(self.path).path != self.server.receiver.path:
            _answer(self, 404, f"POST to {self.server.receiver.path}")
            return
        self.server.receiver._receive(self, body)

    def log_message(self, *args: object) -> None:
        """Quiet: the tests assert on deliveries, not on access logs."""


def _refusal(webhook: Webhook, body: bytes, headers: dict[str, str]) -> str:
    """Why the signature does not verify; empty when it does."""
    try:
        webhook.verify(body, headers, json_parse=False)
    except (WebhookVerificationError, ValueError) as error:  # ValueError: malformed headers
        return str(error) or type(error).__name__
    return ""


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _answer(handler: BaseHTTPRequestHandler, status: int, text: str) -> bool:
    """Answer `status` with `text` as the body; whether the answer could be written."""
    data = b"" if status in {204, 304} else text.encode()
    try:
        handler.send_response(status)
        if status not in {204, 304}:
            handler.send_header("Content-Type", "text/plain; charset=utf-8")
            handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
    except OSError:
        handler.close_connection = True
        return False
    return True


def _client_gone(connection: socket.socket) -> bool:
    """Whether the client closed (or reset) the connection, or down() cut it; never blocks."""
    try:
        return connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def _holding(port: int) -> socket.socket:
    """A socket bound to `port` and not listening: connections are refused, and no other socket
    (nor a client's own ephemeral port, which could connect to itself) takes the port meanwhile.
    """
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.settimeout(0)
    holder.bind(("127.0.0.1", port))
    return holder


def _overlapping(spans: Iterable[tuple[str, float, float]]) -> set[str]:
    by_id: defaultdict[str, list[tuple[float, float]]] = defaultdict(list)
    for webhook_id, started, ended in spans:
        if webhook_id:
            by_id[webhook_id].append((started, ended))
    found = set()
    for webhook_id, intervals in by_id.items():
        latest_end = -math.inf
        for started, ended in sorted(intervals):
            if started < latest_end:
                found.add(webhook_id)
                break
            latest_end = max(latest_end, ended)
    return found


def _pauses(timeout: float) -> Iterator[float]:
    """The pauses of a bounded poll: at most timeout / POLL + 1 of them, none past the deadline."""
    deadline = time.monotonic() + timeout
    for _ in range(math.ceil(timeout / POLL) + 1):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        yield min(POLL, remaining)
