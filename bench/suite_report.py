"""The suite's figures as bench/results/REPORT.md: one table row per figure with its ratio to
the floor it is measured against (bench/chart.py reads the table back)."""

import os
import time
from dataclasses import dataclass

from bench.load_tools import Throughput
from bench.scenarios_growth import GROWTH_LEVELS, GROWTH_RATE, MEMORY_CHECKPOINTS
from bench.suite_settings import RESULTS, SECONDS, WARMUP_SECONDS

Row = tuple[str, str, str]
"""Figure, value, ratio."""

CPU_NOTE = (
    "Machine CPU is all cores' busy time during the run (/proc/stat) per operation: "
    "service, PostgreSQL and load generator together. When both runs keep the cores "
    "busy, the throughput ratio cannot exceed the CPU ceiling (pgbench's CPU per "
    "operation over the HTTP run's): it tells how far the service's own work per "
    "request would have to shrink to meet a target."
)


@dataclass(frozen=True)
class SuiteFigures:
    """What one run of the suite measured, scenario by scenario."""

    floor: float
    in_process: float
    pg_create: Throughput
    pg_lookup: Throughput
    http: dict[int, dict[str, tuple[Throughput, str]]]
    best: int
    half_peak: float
    latency: dict[str, float]
    cold_max: float
    growth: dict[int, dict[str, float]]
    memory: dict[int, tuple[int, float]]


def _percentiles(values: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:.1f} ms" for name, value in values.items())


def _floor_rows(figures: SuiteFigures) -> list[Row]:
    pg_create, pg_lookup = figures.pg_create, figures.pg_lookup
    return [
        ("crypto floor (keypair + AEAD, one core)", f"{figures.floor:,.0f}/s", ""),
        (
            "CreateUserWallet in-process, memory adapters, warm cache",
            f"{figures.in_process:,.0f}/s",
            f"{figures.in_process / figures.floor:.2f} of the crypto floor (target ≥ 0.5)",
        ),
        (
            f"pgbench creation transaction (8 clients; {pg_create.cpu_ms:.2f} ms machine CPU each)",
            f"{pg_create.rate:,.0f} tps",
            "",
        ),
        (
            f"pgbench single-row lookup (8 clients; {pg_lookup.cpu_ms:.2f} ms machine CPU each)",
            f"{pg_lookup.rate:,.0f} tps",
            "",
        ),
    ]


def _http_rows(figures: SuiteFigures) -> list[Row]:
    rows = []
    for workers, rates in figures.http.items():
        for name, (measured, p99) in rates.items():
            floor_run = figures.pg_create if name == "create" else figures.pg_lookup
            target = "≥ 0.5" if name == "create" else "≥ 0.3"
            rows.append(
                (
                    (
                        f"HTTP {name}, {workers} worker(s), wrk 32 connections (p99 {p99}; "
                        f"{measured.cpu_ms:.2f} ms machine CPU each)"
                    ),
                    f"{measured.rate:,.0f}/s",
                    (
                        f"{measured.rate / floor_run.rate:.3f} of pgbench (target {target}); CPU "
                        f"ceiling {floor_run.cpu_ms / measured.cpu_ms:.3f}"
                    ),
                )
            )
    return rows


def _latency_rows(figures: SuiteFigures) -> list[Row]:
    return [
        (
            (
                f"HTTP creation latency at half the peak ({figures.half_peak:,.0f}/s open loop, "
                f"{figures.best} worker(s))"
            ),
            _percentiles(figures.latency),
            f"p99 {figures.latency['p99']:.1f} ms (target ≤ 20 ms)",
        ),
        (
            (
                f"slowest creation in the first {WARMUP_SECONDS:.0f} s after a start, same rate "
                "(cold key cache and code paths; not in the figure above)"
            ),
            f"{figures.cold_max:.1f} ms",
            "",
        ),
    ]


def _growth_rows(figures: SuiteFigures) -> list[Row]:
    growth = figures.growth
    return [
        (
            (
                f"HTTP creation with {level:,} wallets stored ({GROWTH_RATE:.0f}/s open loop, "
                "1 worker)"
            ),
            _percentiles(percentiles),
            (
                f"p50 {percentiles['p50'] / growth[GROWTH_LEVELS[0]]['p50']:.2f} of the 10,000 "
                "figure (target at 1 M ≤ 1.3)"
            ),
        )
        for level, percentiles in growth.items()
    ]


def _memory_rows(figures: SuiteFigures) -> list[Row]:
    memory = figures.memory
    first_rss = memory[MEMORY_CHECKPOINTS[0]][1] if memory else 0.0
    return [
        (
            f"server RSS after {created:,} creations (checkpoint {checkpoint:,}, 1 worker)",
            f"{rss:.0f} MiB",
            f"{rss / first_rss:.2f} of the first checkpoint (target ≤ 1.1)",
        )
        for checkpoint, (created, rss) in memory.items()
    ]


def render(figures: SuiteFigures) -> str:
    rows = [
        *_floor_rows(figures),
        *_http_rows(figures),
        *_latency_rows(figures),
        *_growth_rows(figures),
        *_memory_rows(figures),
    ]
    report = [
        "# Benchmark report",
        "",
        (
            f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.cpu_count()} "
            f"cores, {SECONDS:.0f} s per figure, service, PostgreSQL and load generator together. "
            f"Best worker count for creation: {figures.best}."
        ),
        "",
        "| figure | value | ratio |",
        "| --- | --- | --- |",
        *(f"| {name} | {value} | {ratio} |" for name, value, ratio in rows),
        "",
        CPU_NOTE,
        "",
    ]
    return "\n".join(report)


def write_report(figures: SuiteFigures) -> None:
    """Write REPORT.md into bench/results/ and print it."""
    report = render(figures)
    (RESULTS / "REPORT.md").write_text(report)
    print(report)
