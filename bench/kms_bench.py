"""Wallet creations and replays over real HTTP with each key-management backend, in one run.

For each of WALLET_KMS=none, pkcs11 (a SoftHSM2 token from harness/softhsm.py) and transit (an
OpenBao from harness/openbao.py, with a token limited to the wallet policy), `kms init` first,
then per round and backend a fresh `serve` (1 worker): USERS users registered, a warm-up, then
USERS creations and as many replays, each a closed loop of CONCURRENCY senders capped at
PHASE_SECONDS. Backends alternate (none, pkcs11, transit, none, ...) for ROUNDS rounds because
the shared machine drifts: each figure is reported per round, and its median. Backend calls per
request come from the server's /metrics (wallet_kms_calls_total, wallet_kms_call_seconds).

PostgreSQL (a throwaway database at TEST_DATABASE_URL) if it answers, else SQLite.
Environment: BENCH_KMS_USERS, BENCH_KMS_CONCURRENCY, BENCH_KMS_ROUNDS, BENCH_KMS_SECONDS.
Writes bench/results/kms.md. Run with `uv run python bench/kms_bench.py` (about 3 minutes).
"""

import asyncio
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.kms_bench_backends import Backend, backends, database, kms_init
from bench.kms_bench_measure import Run, measure
from bench.kms_bench_report import report
from bench.kms_bench_settings import REPORT, ROUNDS
from bench.suite_settings import TOKEN
from harness.servers import serving


def one_run(url: str, backend: Backend, number: int) -> Run:
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory() as tmp,
        serving(url, Path(tmp) / "server.log", token=TOKEN, workers=1, **backend.env) as server,
    ):
        assert server.process is not None  # noqa: S101 - started by `serving`
        pids = (server.process.pid, backend.pid)
        prefix = f"r{number}-{backend.name}"
        run = asyncio.run(measure(server.base_url, server.port, pids, prefix))
    print(
        f"round {number} {backend.name}: {run.create.rate:,.0f} creations/s, "
        f"{run.replay.rate:,.0f} replays/s ({time.monotonic() - started:.0f} s)",
        file=sys.stderr,
    )
    return Run(number, backend.name, run.create, run.replay)


def main() -> None:
    started, load = time.monotonic(), os.getloadavg()[0]
    with database() as (url, described), ExitStack() as stack:
        found, notes = backends(stack)
        for backend in found[1:]:
            kms_init(url, backend.env)
        runs = [
            one_run(url, backend, number) for number in range(1, ROUNDS + 1) for backend in found
        ]
    notes.append(
        f"1-minute load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end: "
        "the machine is shared, and other processes' CPU shows in the machine column"
    )
    text = report(runs, described, notes, time.monotonic() - started)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
