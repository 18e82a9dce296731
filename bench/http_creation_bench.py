"""Wallet creations per second over real HTTP: one `serve` process on PostgreSQL, new users.

Bounded: USERS creations at CONNECTIONS concurrency, then as many replays. Prints one line per
phase (rate, p50, p99). Run with `uv run python bench/http_creation_bench.py`.
"""

import asyncio
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.suite_settings import KEY, TOKEN
from harness.load import LoadClient
from harness.postgres import throwaway_database
from harness.servers import serving

USERS = int(os.environ.get("BENCH_USERS", "2000"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "1"))


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children so far (Linux /proc)."""
    pids = [pid, *(int(child) for child in _children(pid))]
    ticks = 0
    for each in pids:
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[str]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return path.read_text().split() if path.exists() else []


async def run(base_url: str, server_pid: int) -> None:
    user_ids = [f"bench-{n:06d}" for n in range(USERS)]
    async with LoadClient(base_url, connections=CONNECTIONS, token=TOKEN) as registrar:
        await registrar.register(user_ids)
    for phase in ("create", "replay"):
        cpu_before = cpu_seconds(server_pid)
        async with LoadClient(base_url, connections=CONNECTIONS, token=TOKEN) as client:
            await client.create_storm(user_ids, copies=1, key=KEY)
        cpu_per_request = (cpu_seconds(server_pid) - cpu_before) / USERS
        report = client.report
        if not report.statuses.keys() <= {200, 201}:
            raise SystemExit(f"{phase} failed: {report.summary()}")
        print(
            f"{phase}: {report.rate:,.0f}/s p50={report.percentile(0.5) * 1000:.1f} ms "
            f"p99={report.percentile(0.99) * 1000:.1f} ms "
            f"server CPU {cpu_per_request * 1000:.2f} ms/request ({USERS} requests, "
            f"{CONNECTIONS} connections, {WORKERS} worker(s))"
        )


def main() -> None:
    with (
        throwaway_database("bench") as url,
        tempfile.TemporaryDirectory() as tmp,
        serving(url, Path(tmp) / "server.log", token=TOKEN, workers=WORKERS) as server,
    ):
        assert server.process is not None  # noqa: S101 - started above
        asyncio.run(run(server.base_url, server.process.pid))


if __name__ == "__main__":
    main()
