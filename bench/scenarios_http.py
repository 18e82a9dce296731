"""Scenarios 2 and 3 over HTTP against a fresh `serve` process: wrk's create, replay and GET
rates per worker count, wrk's create rate on the embedded SQLite default (one worker), and
creations of new users sent open loop at a fixed rate (after a warm-up whose slowest request is
reported apart)."""

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench.load_tools import WRK_CREATE, WRK_GET, WRK_REPLAY, Throughput, wrk
from bench.open_loop import run_open_loop
from bench.seed_data import migrate, seed_sqlite_users, seed_users
from bench.suite_settings import KEY, PRESET_USERS, TOKEN, WARMUP_SECONDS
from harness.servers import serving


def http_rates(url: str, workers: int, seconds: float) -> dict[str, tuple[Throughput, str]]:
    prefix = f"w{workers}"
    with (
        tempfile.TemporaryDirectory() as tmp,
        serving(url, Path(tmp) / "log", token=TOKEN, workers=workers) as server,
    ):
        rates = {
            "create": wrk(server.base_url, WRK_CREATE.replace("PREFIX", f'"{prefix}"'), seconds)
        }
        for name, template in (("replay", WRK_REPLAY), ("get", WRK_GET)):
            lua = template.replace("PREFIX", f'"{prefix}"').replace("EXISTING", "500")
            rates[name] = wrk(server.base_url, lua, seconds)
    return rates


SQLITE_CONNECTIONS = 8
"""wrk's connections for SQLite creations. With 32, a few of them (2 to 13 in 13 s here) wait
out the 5 s deadline for the write lock: SQLite's busy handler polls, so its waiters are not
served in order, and each commit waits for the disk. With 8 none does, at the same rate."""


def sqlite_creations(seconds: float) -> tuple[Throughput, str]:
    """wrk's creations of new users (SQLITE_CONNECTIONS connections) on one worker whose
    database is the embedded SQLite default, a file in a temporary directory: migrated, then
    seeded with users (PRESET_USERS per wrk thread) before the server starts.
    """
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "wallets.db"
        url = f"sqlite:///{database}"
        migrate(url)
        seed_sqlite_users(database, ["sq-1", "sq-2"], PRESET_USERS)
        with serving(url, Path(tmp) / "log", token=TOKEN, workers=1) as server:
            lua = WRK_CREATE.replace("PREFIX", '"sq"')
            return wrk(server.base_url, lua, seconds, SQLITE_CONNECTIONS)


def creation_request(prefix: str) -> Callable[[int], bytes]:
    """The raw HTTP/1.1 creation request for user <prefix>-<number + 1>."""

    def request(number: int) -> bytes:
        body = f'{{"userId":"{prefix}-{number + 1}","encryptionKey":"{KEY}"}}'.encode()
        head = (
            "POST /wallets/create-user-wallet HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    return request


def open_loop_creations(
    url: str, prefix: str, *, workers: int, rate: float, seconds: float
) -> tuple[dict[str, float], float]:
    """Creations of new users sent open loop at `rate` per second to a fresh server: first
    WARMUP_SECONDS from cold, then `seconds` measured. Returns the measured p50, p99 and p99.9
    (ms), and the slowest creation of the warm-up (ms): what the first callers after a start see.
    """
    warmup = int(rate * WARMUP_SECONDS)
    measured = int(rate * seconds)
    asyncio.run(seed_users(url, [prefix], warmup + measured + 1))
    make_request = creation_request(prefix)
    with (
        tempfile.TemporaryDirectory() as tmp,
        serving(url, Path(tmp) / "log", token=TOKEN, workers=workers) as server,
    ):
        address = ("127.0.0.1", server.port)
        cold = asyncio.run(
            run_open_loop(address, make_request, rate=rate, seconds=WARMUP_SECONDS, connections=64)
        )
        result = asyncio.run(
            run_open_loop(
                address,
                lambda number: make_request(warmup + number),
                rate=rate,
                seconds=seconds,
                connections=64,
            )
        )
    if result.failures or cold.failures:
        raise SystemExit(f"{result.failures + cold.failures} creations failed at {rate:.0f}/s")
    percentiles = {
        name: result.percentile(fraction) * 1000
        for name, fraction in (("p50", 0.5), ("p99", 0.99), ("p99.9", 0.999))
    }
    return percentiles, max(cold.latencies) * 1000
