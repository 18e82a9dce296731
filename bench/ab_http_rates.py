"""HTTP creations, replays and GETs per second through one `serve` worker on a throwaway
PostgreSQL database, or with `--sqlite` on a SQLite file in a temporary directory (wrk, 32
connections, loopback), and the machine's CPU per request: the figures to alternate between two
versions of the code on a shared machine.

    cd <tree> && <checkout>/.venv/bin/python <checkout>/bench/ab_http_rates.py SECONDS [--sqlite]

The tree measured is the current directory's (its `harness` starts its `serve`), so a
`git worktree add /tmp/wt <commit>` is measured from /tmp/wt with this file. Prints one JSON
line: {kind: [requests per second, CPU ms per request, wrk's p99]}. Bounded: three phases of
SECONDS each (at most 60), after seeding 40,000 users. Needs wrk and pgbench's PostgreSQL. The
server gets this environment's WALLET_* settings (WALLET_DB_POOL_SIZE=40: nobody waits for a
pooled connection).
"""

import asyncio
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))

from bench.load_tools import Throughput
from bench.scenarios_http import http_rates
from bench.seed_data import migrate, seed_users
from harness.postgres import throwaway_database

MAX_SECONDS = 60.0


PREFIXES = ["w1-1", "w1-2"]
"""The users http_rates' wrk scripts create wallets for, with one worker."""


def on_postgres(seconds: float) -> dict[str, tuple[Throughput, str]]:
    with throwaway_database("ab_http") as url:
        migrate(url)
        asyncio.run(seed_users(url, PREFIXES, 20_000))
        return http_rates(url, 1, seconds)


def on_sqlite(seconds: float) -> dict[str, tuple[Throughput, str]]:
    from bench.seed_data import seed_sqlite_users  # noqa: PLC0415 - trees before it measure PG

    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "wallets.db"
        url = f"sqlite:///{database}"
        migrate(url)
        seed_sqlite_users(database, PREFIXES, 20_000)
        return http_rates(url, 1, seconds)


def main() -> None:
    arguments = [argument for argument in sys.argv[1:] if argument != "--sqlite"]
    seconds = min(float(arguments[0]) if arguments else 5.0, MAX_SECONDS)
    rates = on_sqlite(seconds) if "--sqlite" in sys.argv else on_postgres(seconds)
    print(
        json.dumps(
            {kind: [round(t.rate, 1), round(t.cpu_ms, 3), p99] for kind, (t, p99) in rates.items()}
        )
    )


if __name__ == "__main__":
    main()
