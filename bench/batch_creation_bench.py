"""Wallets per second through POST /wallets/batch (100 new users a request) against single
creations (POST /wallets/create-user-wallet, one new user a request), in the same run, on one
`serve` process and a throwaway PostgreSQL database, loopback only.

    uv run python bench/batch_creation_bench.py [--seconds 8] [--workers 1] [--rounds 2]

Both kinds run closed loop over raw keep-alive HTTP/1.1 connections (little client CPU, so
that the figures are the server's): singles on SINGLE_CONNECTIONS connections, batches on
BATCH_CONNECTIONS. After a warm-up (the key derived and cached, the pool filled), the kinds take
turns for --rounds rounds of --seconds each; every phase also stops after MAX_WALLETS wallets.
Every answer must be a creation (201, or 200 with 100 items of 201): anything else stops the run.
Prints the figures and writes bench/results/batch.md. The target: batches at least 3 times the
single creations' rate.
"""

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.http_creation_bench import cpu_seconds
from bench.seed_data import migrate, seed_users
from bench.suite_settings import KEY, RESULTS, TOKEN
from harness.postgres import throwaway_database
from harness.servers import serving

BATCH_SIZE = 100
SINGLE_CONNECTIONS = 32
BATCH_CONNECTIONS = 8
MAX_WALLETS = 50_000
"""Per phase: the most wallets one phase creates (users are seeded for every phase)."""
WARMUP_WALLETS = 200
TARGET = 3.0
OK, CREATED = 200, 201
REPORT = RESULTS / "batch.md"

Payload = Callable[[list[str]], tuple[str, bytes]]


@dataclass(frozen=True)
class Phase:
    """What one phase measured."""

    kind: str
    wallets: int
    seconds: float
    server_cpu: float

    @property
    def rate(self) -> float:
        return self.wallets / self.seconds

    @property
    def cpu_ms(self) -> float:
        """Server CPU (all its processes) per wallet, in milliseconds."""
        return self.server_cpu / self.wallets * 1000


def _single(user_ids: list[str]) -> tuple[str, bytes]:
    (user_id,) = user_ids
    body = {"userId": user_id, "encryptionKey": KEY}
    return "/wallets/create-user-wallet", json.dumps(body).encode()


def _batch(user_ids: list[str]) -> tuple[str, bytes]:
    body = {"encryptionKey": KEY, "items": [{"userId": u, "refId": u} for u in user_ids]}
    return "/wallets/batch", json.dumps(body).encode()


def _request(path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return status, await reader.readexactly(length)


def _created(path: str, status: int, body: bytes, count: int) -> bool:
    if path.endswith("/batch"):
        results = json.loads(body)["results"] if status == OK else []
        return len(results) == count and all(r["status"] == CREATED for r in results)
    return status == CREATED


async def _run_phase(  # noqa: PLR0913 - where, what, how much, how wide, whose CPU
    port: int,
    payload: Payload,
    users: Iterator[str],
    *,
    per_request: int,
    connections: int,
    seconds: float,
    limit: int,
    server_pid: int,
) -> Phase:
    """Closed loop: each connection sends its next request as soon as its last is answered,
    until `seconds` have passed or `limit` wallets were asked for.
    """
    created = asked = 0
    deadline = time.monotonic() + seconds

    async def connection() -> None:
        nonlocal created, asked
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.monotonic() < deadline and asked + per_request <= limit:
                batch = [next(users) for _ in range(per_request)]
                asked += per_request
                path, body = payload(batch)
                writer.write(_request(path, body))
                await writer.drain()
                status, answer = await _response(reader)
                if not _created(path, status, answer, per_request):
                    raise SystemExit(f"{path}: {status} {answer[:300]!r}")
                created += per_request
        finally:
            writer.close()

    cpu_before, started = cpu_seconds(server_pid), time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    kind = "batch" if per_request > 1 else "single"
    return Phase(kind, created, elapsed, cpu_seconds(server_pid) - cpu_before)


async def _measure(port: int, server_pid: int, seconds: float, rounds: int) -> list[Phase]:
    names = (f"u-{n}" for n in range(1, 10**9))  # the seeded users, each asked for once
    await _run_phase(
        port,
        _single,
        names,
        per_request=1,
        connections=SINGLE_CONNECTIONS,
        seconds=seconds,
        limit=WARMUP_WALLETS,
        server_pid=server_pid,
    )
    phases = []
    for _ in range(rounds):
        for payload, size, connections in (
            (_single, 1, SINGLE_CONNECTIONS),
            (_batch, BATCH_SIZE, BATCH_CONNECTIONS),
        ):
            phase = await _run_phase(
                port,
                payload,
                names,
                per_request=size,
                connections=connections,
                seconds=seconds,
                limit=MAX_WALLETS,
                server_pid=server_pid,
            )
            print(
                f"{phase.kind}: {phase.rate:,.0f} wallets/s ({phase.wallets} in "
                f"{phase.seconds:.1f} s; server CPU {phase.cpu_ms:.2f} ms/wallet)",
                flush=True,
            )
            phases.append(phase)
    return phases


def _total(phases: list[Phase], kind: str) -> Phase:
    mine = [phase for phase in phases if phase.kind == kind]
    return Phase(
        kind,
        sum(p.wallets for p in mine),
        sum(p.seconds for p in mine),
        sum(p.server_cpu for p in mine),
    )


def _report(phases: list[Phase], seconds: float, workers: int) -> str:
    single, batch = _total(phases, "single"), _total(phases, "batch")
    ratio = batch.rate / single.rate
    rows = [
        (
            f"| single creations ({SINGLE_CONNECTIONS} connections) | {single.rate:,.0f}/s | "
            f"{single.cpu_ms:.2f} ms | |"
        ),
        (
            f"| batches of {BATCH_SIZE} ({BATCH_CONNECTIONS} connections) | {batch.rate:,.0f}/s "
            f"| {batch.cpu_ms:.2f} ms | {ratio:.2f} times the single rate (target: {TARGET:g}) |"
        ),
    ]
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return "\n".join(
        [
            "# Batch creation against single creations",
            "",
            (
                f"Measured {when}: one `serve` process ({workers} worker(s)) on PostgreSQL, "
                f"loopback, new users only, closed loop; the kinds alternated, "
                f"{len(phases) // 2} round(s) of {seconds:g} s each, after a warm-up. Server "
                "CPU is the `serve` process and its workers', per wallet."
            ),
            "",
            "| creations | wallets/s | server CPU per wallet | ratio |",
            "| --- | --- | --- | --- |",
            *rows,
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    users = WARMUP_WALLETS + 2 * args.rounds * MAX_WALLETS
    with (
        throwaway_database("bench_batch") as url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        migrate(url)
        asyncio.run(seed_users(url, ["u"], users))
        with serving(url, Path(tmp) / "log", token=TOKEN, workers=args.workers) as server:
            assert server.process is not None  # noqa: S101 - started above
            phases = asyncio.run(
                _measure(server.port, server.process.pid, args.seconds, args.rounds)
            )
    report = _report(phases, args.seconds, args.workers)
    RESULTS.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
