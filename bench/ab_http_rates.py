"""HTTP creations, replays and GETs per second through one `serve` worker on a throwaway
PostgreSQL database (wrk, 32 connections, loopback), and the machine's CPU per request: the
figures to alternate between two versions of the code on a shared machine.

    cd <tree> && <this checkout>/.venv/bin/python <this checkout>/bench/ab_http_rates.py SECONDS

The tree measured is the current directory's (its `harness` starts its `serve`), so a
`git worktree add /tmp/wt <commit>` is measured from /tmp/wt with this file. Prints one JSON
line: {kind: [requests per second, CPU ms per request]}. Bounded: three phases of SECONDS each
(at most 60), after seeding 40,000 users. Needs wrk and pgbench's PostgreSQL.
"""

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))

from bench.scenarios_http import http_rates
from bench.seed_data import migrate, seed_users
from harness.postgres import throwaway_database

MAX_SECONDS = 60.0


def main() -> None:
    seconds = min(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0, MAX_SECONDS)
    with throwaway_database("ab_http") as url:
        migrate(url)
        asyncio.run(seed_users(url, ["w1-1", "w1-2"], 20_000))
        rates = http_rates(url, 1, seconds)
    print(
        json.dumps({kind: [round(t.rate, 1), round(t.cpu_ms, 3)] for kind, (t, _) in rates.items()})
    )


if __name__ == "__main__":
    main()
