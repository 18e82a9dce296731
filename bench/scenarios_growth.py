"""Scenarios 4 and 5, the service as its data grows: creation latency with 10 thousand,
100 thousand and 1 million wallets stored, and the server's RSS after 10 thousand and
100 thousand creations."""

import asyncio
import tempfile
from pathlib import Path

from bench.load_tools import WRK_CREATE, wrk_latency
from bench.scenarios_http import open_loop_creations
from bench.seed_data import grow_to, seed_users
from bench.suite_settings import TOKEN
from harness.servers import serving

GROWTH_LEVELS = (10_000, 100_000, 1_000_000)
GROWTH_RATE = 150.0
"""Creations per second for the growth figures: well under one worker's peak, so they show the
cost of a larger table rather than queueing."""

MEMORY_CHECKPOINTS = (10_000, 100_000)
MEMORY_CHUNK_SECONDS = 5
MEMORY_CHUNK_USERS = 15_000
"""Users seeded for each wrk thread before each chunk: room for 3,000 creations a second per
thread, above one worker's peak here (2,339/s over both threads), so no request finds no user."""
MEMORY_MAX_CHUNKS = 200


def creation_latency_by_size(url: str, seconds: float) -> dict[int, dict[str, float]]:
    """Creation p50/p99/p99.9 (ms) with 10 thousand, 100 thousand and 1 million wallets stored,
    open loop at GROWTH_RATE per second on one worker (a fixed rate, so the figures compare).
    """
    latencies, have = {}, 0
    for level in GROWTH_LEVELS:
        asyncio.run(grow_to(url, have, level))
        have = level
        latencies[level], _ = open_loop_creations(
            url, f"grow{level}", workers=1, rate=GROWTH_RATE, seconds=seconds
        )
    return latencies


def rss_mib(pid: int) -> float:
    """Resident set size of a process, MiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit(f"no VmRSS for {pid}")


def rss_after_creations(url: str) -> dict[int, tuple[int, float]]:
    """Server RSS once at least 10 thousand, then 100 thousand wallets were created through it:
    wrk runs in chunks of a few seconds, each chunk for users of its own, seeded just before it
    (at most MEMORY_MAX_CHUNKS chunks)."""
    readings: dict[int, tuple[int, float]] = {}
    created = 0
    with (
        tempfile.TemporaryDirectory() as tmp,
        serving(url, Path(tmp) / "log", token=TOKEN) as server,
    ):
        assert server.process is not None  # noqa: S101 - started above
        for chunk in range(MEMORY_MAX_CHUNKS):
            prefixes = [f"mem{chunk}-{thread}" for thread in (1, 2)]
            asyncio.run(seed_users(url, prefixes, MEMORY_CHUNK_USERS))
            lua = WRK_CREATE.replace("PREFIX", f'"mem{chunk}"')
            rate, _, _ = wrk_latency(server.base_url, lua, MEMORY_CHUNK_SECONDS)
            created += int(rate * MEMORY_CHUNK_SECONDS)
            for checkpoint in MEMORY_CHECKPOINTS:
                if created >= checkpoint and checkpoint not in readings:
                    readings[checkpoint] = (created, rss_mib(server.process.pid))
            if len(readings) == len(MEMORY_CHECKPOINTS):
                break
    return readings
