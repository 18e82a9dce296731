"""A bounded load generator over real HTTP, and what it sent and saw."""

import asyncio
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Self

import httpx

Outcome = tuple[int, dict[str, object] | None]


@dataclass
class LoadReport:
    """What a run sent and saw."""

    sent: int = 0
    peak_in_flight: int = 0
    statuses: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    transport_errors: int = 0
    transport_error_kinds: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    transport_error_causes: list[str] = field(default_factory=list)
    unavailable_without_retry_after: int = 0
    non_problem_errors: int = 0
    latencies: list[float] = field(default_factory=list)
    started_at: float | None = None
    finished_at: float = 0.0
    by_user: dict[str, list[Outcome]] = field(default_factory=lambda: defaultdict(list))

    @property
    def slowest_seconds(self) -> float:
        return max(self.latencies, default=0.0)

    @property
    def rate(self) -> float:
        """Responses per second over the run."""
        elapsed = self.finished_at - (self.started_at or self.finished_at)
        return len(self.latencies) / elapsed if elapsed > 0 else 0.0

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0

    def summary(self) -> str:
        return (
            f"sent={self.sent} peak_in_flight={self.peak_in_flight} "
            f"statuses={dict(sorted(self.statuses.items()))} "
            f"transport_errors={dict(self.transport_error_kinds)} "
            f"first_causes={self.transport_error_causes[:2]} "
            f"p50={self.percentile(0.5):.3f}s p99={self.percentile(0.99):.3f}s "
            f"max={self.slowest_seconds:.3f}s rate={self.rate:.0f}/s"
        )

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)


class LoadClient:
    """Sends requests bearing `token` with at most `connections` on the wire at once (the rest
    wait their turn outside the HTTP client, so queueing never counts against a request's
    timeout).
    """

    def __init__(
        self, base_url: str, connections: int, *, token: str, timeout: float = 30.0
    ) -> None:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        headers = {"Authorization": f"Bearer {token}"}
        self._client = httpx.AsyncClient(
            base_url=base_url, limits=limits, timeout=timeout, headers=headers
        )
        self._connections = connections
        self._slots = asyncio.Semaphore(connections)
        self._in_flight = 0
        self.report = LoadReport()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._client.aclose()

    async def post(self, path: str, body: dict[str, str]) -> Outcome:
        async with self._slots:
            return await self._send(path, body)

    async def _send(self, path: str, body: dict[str, str]) -> Outcome:
        self._in_flight += 1
        self.report.sent += 1
        if self.report.started_at is None:
            self.report.started_at = time.monotonic()
        self.report.peak_in_flight = max(self.report.peak_in_flight, self._in_flight)
        started = time.monotonic()
        try:
            response = await self._client.post(path, json=body)
        except httpx.TransportError as error:
            self.report.transport_errors += 1
            self.report.transport_error_kinds[type(error).__name__] += 1
            self.report.transport_error_causes.append(repr(error.__cause__ or error)[:200])
            return (0, None)
        finally:
            self._in_flight -= 1
            self.report.finished_at = time.monotonic()
            self.report.latencies.append(self.report.finished_at - started)
        self.report.statuses[response.status_code] += 1
        if response.status_code >= 400:
            if response.headers.get("content-type") != "application/problem+json":
                self.report.non_problem_errors += 1
            if response.status_code == 503 and not response.headers.get("retry-after"):
                self.report.unavailable_without_retry_after += 1
        return response.status_code, response.json()

    async def create(self, user_id: str, key: str) -> Outcome:
        body = {"userId": user_id, "encryptionKey": key}
        outcome = await self.post("/wallets/create-user-wallet", body)
        self.report.by_user[user_id].append(outcome)
        return outcome

    async def register(self, user_ids: list[str]) -> None:
        bodies = ({"email": f"{user_id}@example.com", "id": user_id} for user_id in user_ids)
        outcomes = await asyncio.gather(*(self.post("/users", body) for body in bodies))
        failed = [outcome for outcome in outcomes if outcome[0] not in {200, 201}]
        if failed:
            raise RuntimeError(f"{len(failed)} registrations failed: {self.report.summary()}")

    async def create_storm(self, user_ids: list[str], copies: int, key: str) -> None:
        """Each user's wallet requested `copies` times at once, all users interleaved."""
        requests = [user_id for user_id in user_ids for _ in range(copies)]
        random.shuffle(requests)

        await asyncio.gather(*(self.create(user_id, key) for user_id in requests))

    async def create_for(
        self, seconds: float, user_ids: list[str], key: str, *, max_requests: int
    ) -> None:
        """Creation requests for random users (replays included) from as many concurrent senders
        as there are connections, until `seconds` have passed or `max_requests` were sent.
        """
        deadline = time.monotonic() + seconds

        async def sender() -> None:
            while time.monotonic() < deadline and self.report.sent < max_requests:
                await self.create(random.choice(user_ids), key)

        await asyncio.gather(*(sender() for _ in range(self._connections)))
