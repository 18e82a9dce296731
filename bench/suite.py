"""The benchmark suite: the service measured against the machine's floors, in one run.

1. crypto floor (PyNaCl keypair + one AEAD encryption, one core) vs CreateUserWallet in-process
   on the in-memory adapters with a warm key cache (bench/scenarios_floors.py);
2. pgbench running the creation transaction and a single-row lookup on the seed schema vs
   wrk driving HTTP creations (new users each time), replays and GETs, per worker count
   (bench/load_tools.py, bench/scenarios_http.py); then wrk's creations on the embedded SQLite
   default (a file in a temporary directory, one worker), reported without a floor or a target;
3. creation p50/p99/p99.9 at half the peak rate, open loop (bench/open_loop.py), after a
   warm-up whose slowest request is reported apart (what callers see right after a start);
4. creation p50/p99/p99.9 with 10 thousand, 100 thousand and 1 million wallets stored, open
   loop at a fixed rate (bench/scenarios_growth.py);
5. server RSS after 10 thousand and 100 thousand creations.

Every run is bounded (BENCH_SECONDS each, loopback only). Writes bench/results/REPORT.md, each
figure against its floor and the targets of issue 19 (bench/suite_report.py; bench/chart.py then
draws it as report.png).
Run with `just bench`.
"""

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load_tools import CREATE_TRANSACTION, LOOKUP, pgbench
from bench.scenarios_floors import crypto_floor, in_process_creations
from bench.scenarios_growth import creation_latency_by_size, rss_after_creations
from bench.scenarios_http import http_rates, open_loop_creations, sqlite_creations
from bench.seed_data import migrate, seed_users
from bench.suite_report import SuiteFigures, write_report
from bench.suite_settings import PRESET_USERS, RESULTS, SECONDS
from harness.postgres import throwaway_database


def main() -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    floor = crypto_floor(SECONDS)
    in_process = asyncio.run(in_process_creations(SECONDS))
    with throwaway_database("bench_suite") as url:
        migrate(url)
        asyncio.run(seed_users(url, ["pg", "w1-1", "w1-2", "w2-1", "w2-2"], PRESET_USERS))
        pg_create = pgbench(url, CREATE_TRANSACTION, 8, SECONDS)
        pg_lookup = pgbench(url, LOOKUP, 8, SECONDS)
        http = {workers: http_rates(url, workers, SECONDS) for workers in (1, 2)}
        sqlite = sqlite_creations(SECONDS)
        best = max(http, key=lambda workers: http[workers]["create"][0].rate)
        half_peak = http[best]["create"][0].rate / 2
        latency, cold_max = open_loop_creations(
            url, "lat", workers=best, rate=half_peak, seconds=max(SECONDS, 10)
        )
        figures = SuiteFigures(
            floor=floor,
            in_process=in_process,
            pg_create=pg_create,
            pg_lookup=pg_lookup,
            http=http,
            sqlite=sqlite,
            best=best,
            half_peak=half_peak,
            latency=latency,
            cold_max=cold_max,
            growth=creation_latency_by_size(url, SECONDS),
            memory=rss_after_creations(url),
        )
    write_report(figures)


if __name__ == "__main__":
    main()
