"""The benchmark report (bench/suite_report.py, issue 19): each figure with a target states the
target and whether it is met; the creations on embedded SQLite follow the HTTP rows, reported
without a target; the in-process creations keep their ratio to the crypto floor, no target.
"""

import pytest

from bench.load_tools import Throughput
from bench.scenarios_http import SQLITE_CONNECTIONS
from bench.suite_report import Row, SuiteFigures, render

FIGURES = SuiteFigures(
    floor=40_000.0,
    in_process=6_000.0,
    pg_create=Throughput(5_000.0, 0.35),
    pg_lookup=Throughput(25_000.0, 0.07),
    http={
        1: {
            "create": (Throughput(1_600.0, 1.0), "50.0 ms"),
            "replay": (Throughput(2_000.0, 1.3), "60.0 ms"),
            "get": (Throughput(3_500.0, 0.7), "40.0 ms"),
        }
    },
    sqlite=(Throughput(900.0, 1.5), "45.0 ms"),
    best=1,
    half_peak=800.0,
    latency={"p50": 3.0, "p99": 25.0, "p99.9": 80.0},
    cold_max=150.0,
    growth={10_000: {"p50": 3.0}, 100_000: {"p50": 3.3}, 1_000_000: {"p50": 3.6}},
    memory={10_000: (10_500, 100.0), 100_000: (100_900, 105.0)},
)


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    table = [line for line in render(FIGURES).splitlines() if line.startswith("| ")]
    cells = [tuple(cell.strip() for cell in line.strip("|").split(" | ")) for line in table[2:]]
    return [(name, value, ratio) for name, value, ratio in cells]


def _ratio(rows: list[Row], start: str) -> str:
    (ratio,) = [ratio for name, _, ratio in rows if name.startswith(start)]
    return ratio


def test_a_met_rate_and_cpu_target_say_met(rows: list[Row]) -> None:
    ratio = _ratio(rows, "HTTP create, 1 worker(s)")
    assert "0.320 of the pgbench creation (target ≥ 0.30: met)" in ratio
    assert "machine CPU 1.00 ms each (target ≤ 1.2 ms: met)" in ratio


def test_unmet_targets_say_not_met(rows: list[Row]) -> None:
    assert "0.080 of the pgbench lookup (target ≥ 0.10: not met)" in _ratio(rows, "HTTP replay")
    get = _ratio(rows, "HTTP get")
    assert "0.140 of the pgbench lookup (target ≥ 0.12: met)" in get
    assert "machine CPU 0.70 ms each (target ≤ 0.6 ms: not met)" in get
    assert _ratio(rows, "HTTP creation latency") == "p99 25.0 ms (target ≤ 20 ms: not met)"


def test_growth_and_memory_are_held_to_their_targets(rows: list[Row]) -> None:
    million = _ratio(rows, "HTTP creation with 1,000,000 wallets")
    assert million == "p50 1.20 of the 10,000 figure (target ≤ 1.3: met)"
    assert "target" not in _ratio(rows, "HTTP creation with 100,000 wallets")
    assert (
        _ratio(rows, "server RSS after 100,900")
        == "1.05 of the first checkpoint (target ≤ 1.1: met)"
    )


def test_sqlite_follows_the_http_rows_without_a_target(rows: list[Row]) -> None:
    names = [name for name, _, _ in rows]
    sqlite = names.index(
        f"HTTP create on embedded SQLite, 1 worker, wrk {SQLITE_CONNECTIONS} connections "
        "(p99 45.0 ms)"
    )
    assert names[sqlite - 1].startswith("HTTP get, 1 worker(s)")
    assert names[sqlite + 1].startswith("HTTP creation latency at half the peak")
    assert rows[sqlite][1:] == ("900/s", "machine CPU 1.50 ms each (reported, no target)")


def test_the_in_process_row_keeps_its_ratio_without_a_target(rows: list[Row]) -> None:
    assert _ratio(rows, "CreateUserWallet in-process") == "0.15 of the crypto floor"
