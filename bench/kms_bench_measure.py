"""One run of the key-management benchmark against a running `serve`: users registered, a
warm-up, then creations and replays in closed loops, each phase's rate, latency, backend calls
(from the server's /metrics) and CPU."""

import asyncio
import os
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.http_creation_bench import cpu_seconds
from bench.kms_bench_settings import (
    CONCURRENCY,
    OPERATIONS,
    PHASE_SECONDS,
    REGISTRATION_SECONDS,
    REQUEST_TIMEOUT_SECONDS,
    USERS,
    WARMUP,
)
from bench.open_loop import Request, _read_response
from bench.scenarios_http import creation_request
from bench.suite_settings import TOKEN


@dataclass(frozen=True, slots=True)
class Usage:
    """Cumulative counters at one moment: backend calls and seconds by operation, backend calls
    that failed, CPU seconds of the server, of the backend's own process and of the machine.
    """

    calls: defaultdict[str, float]
    seconds: defaultdict[str, float]
    failed_calls: float
    server_cpu: float
    backend_cpu: float
    machine_cpu: float


@dataclass(frozen=True, slots=True)
class Loop:
    """What a closed loop saw: each request's latency and the loop's duration, in seconds."""

    latencies: list[float]
    seconds: float


@dataclass(frozen=True, slots=True)
class Phase:
    """One closed-loop phase: its rate and latency, and per request: backend calls by operation,
    mean backend call time by operation (ms), CPU ms of the server, backend process and machine.
    """

    requests: int
    rate: float
    p50_ms: float
    p99_ms: float
    calls: dict[str, float]
    call_ms: dict[str, float]
    failed_calls: float
    server_cpu_ms: float
    backend_cpu_ms: float
    machine_cpu_ms: float


@dataclass(frozen=True, slots=True)
class Run:
    round: int
    backend: str
    create: Phase
    replay: Phase


def machine_busy_seconds() -> float:
    """All cores' non-idle time since boot (/proc/stat)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def usage(base_url: str, server_pid: int, backend_pid: int | None) -> Usage:
    response = httpx.get(
        f"{base_url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    response.raise_for_status()
    calls: defaultdict[str, float] = defaultdict(float)
    seconds: defaultdict[str, float] = defaultdict(float)
    failed = 0.0
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == "wallet_kms_calls_total":
                calls[sample.labels["operation"]] += sample.value
                failed += sample.value if sample.labels["outcome"] != "ok" else 0.0
            elif sample.name == "wallet_kms_call_seconds_sum":
                seconds[sample.labels["operation"]] += sample.value
    backend_cpu = cpu_seconds(backend_pid) if backend_pid is not None else 0.0
    return Usage(
        calls, seconds, failed, cpu_seconds(server_pid), backend_cpu, machine_busy_seconds()
    )


def phase(loop: Loop, before: Usage, after: Usage) -> Phase:
    count = len(loop.latencies)
    ordered = sorted(loop.latencies)
    made = {op: after.calls[op] - before.calls[op] for op in OPERATIONS}
    return Phase(
        requests=count,
        rate=count / loop.seconds,
        p50_ms=ordered[int(0.5 * count)] * 1000,
        p99_ms=ordered[min(count - 1, int(0.99 * count))] * 1000,
        calls={op: made[op] / count for op in OPERATIONS},
        call_ms={
            op: 1000 * (after.seconds[op] - before.seconds[op]) / made[op]
            for op in OPERATIONS
            if made[op]
        },
        failed_calls=after.failed_calls - before.failed_calls,
        server_cpu_ms=1000 * (after.server_cpu - before.server_cpu) / count,
        backend_cpu_ms=1000 * (after.backend_cpu - before.backend_cpu) / count,
        machine_cpu_ms=1000 * (after.machine_cpu - before.machine_cpu) / count,
    )


def registration_request(prefix: str) -> Request:
    """The raw HTTP/1.1 request registering user <prefix>-<number + 1>."""

    def request(number: int) -> bytes:
        user_id = f"{prefix}-{number + 1}"
        body = f'{{"id":"{user_id}","email":"{user_id}@bench.example"}}'.encode()
        head = (
            f"POST /users HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    return request


async def closed_loop(
    port: int, request: Request, count: int, expected: int, seconds: float = PHASE_SECONDS
) -> Loop:
    """Requests 0 to `count` - 1 over CONCURRENCY keep-alive connections, each sending its next
    request when the last is answered, none started after `seconds`. Raw HTTP/1.1: the load
    generator shares the cores with the server, so it must cost little. RuntimeError unless
    every answer has the `expected` status.
    """
    pending = iter(range(count))
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def sender() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for number in pending:
                if time.monotonic() >= deadline:
                    return
                sent = time.perf_counter()
                writer.write(request(number))
                status = await asyncio.wait_for(_read_response(reader), REQUEST_TIMEOUT_SECONDS)
                if status != expected:
                    raise RuntimeError(f"request {number}: status {status}, expected {expected}")
                latencies.append(time.perf_counter() - sent)
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(CONCURRENCY)))
    return Loop(latencies, time.perf_counter() - started)


async def measure(base_url: str, port: int, pids: tuple[int, int | None], prefix: str) -> Run:
    """Register, warm up (cold key cache, code paths, backend sessions), then creations of new
    users and replays of the wallets they made. A Run of round 0, backend "".
    """
    warm, measured = f"{prefix}-warm", f"{prefix}-u"
    for users, count in ((warm, WARMUP), (measured, USERS)):
        registration = registration_request(users)
        registered = await closed_loop(port, registration, count, 201, REGISTRATION_SECONDS)
        if len(registered.latencies) < count:
            raise RuntimeError(f"{len(registered.latencies)} of {count} users registered in time")
    await closed_loop(port, creation_request(warm), WARMUP, 201)
    await closed_loop(port, creation_request(warm), WARMUP, 200)
    start = usage(base_url, *pids)
    created = await closed_loop(port, creation_request(measured), USERS, 201)
    middle = usage(base_url, *pids)
    made = len(created.latencies)  # the first `made`: senders take numbers in order
    replayed = await closed_loop(port, creation_request(measured), made, 200)
    end = usage(base_url, *pids)
    return Run(0, "", phase(created, start, middle), phase(replayed, middle, end))
