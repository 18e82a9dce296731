"""The key-management benchmark's runs as bench/results/kms.md: a summary table per phase (the
median over rounds), every round's figures, and how they were measured."""

import os
import statistics
import subprocess
from datetime import UTC, datetime

from bench.kms_bench_measure import Phase, Run
from bench.kms_bench_settings import CONCURRENCY, OPERATIONS, PHASE_SECONDS, ROUNDS, USERS, WARMUP
from bench.suite_settings import ROOT


def median_of(runs: list[Run], name: str, figure: str) -> float:
    return float(statistics.median(getattr(getattr(run, name), figure) for run in runs))


def ratio_to_none(runs: list[Run], run: Run, name: str, figure: str) -> float:
    """`run`'s figure over the WALLET_KMS=none run's of the same round."""
    base = next(each for each in runs if each.round == run.round and each.backend == "none")
    return float(getattr(getattr(run, name), figure) / getattr(getattr(base, name), figure))


def calls_text(calls: dict[str, float]) -> str:
    made = [f"{op} {count:.2f}" for op, count in calls.items() if count]
    return " + ".join(made) or "0"


def call_ms_text(phases: list[Phase]) -> str:
    means = {op: [p.call_ms[op] for p in phases if op in p.call_ms] for op in OPERATIONS}
    return ", ".join(f"{op} {statistics.median(ms):.2f}" for op, ms in means.items() if ms) or "-"


def summary_table(runs: list[Run], name: str) -> list[str]:
    """One row per backend: the median over rounds of each figure of phase `name`."""
    rows = [
        (
            "| backend | per second | ratio to none | p50 ms | p99 ms | KMS calls each | KMS call "
            "ms (mean) | server CPU ms each | OpenBao CPU ms each | machine CPU ms each |"
        ),
        "| --- | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: |",
    ]
    for backend in dict.fromkeys(run.backend for run in runs):
        mine = [run for run in runs if run.backend == backend]
        phases: list[Phase] = [getattr(run, name) for run in mine]
        ratio = statistics.median(ratio_to_none(runs, run, name, "rate") for run in mine)
        calls = {op: statistics.median(p.calls[op] for p in phases) for op in OPERATIONS}
        own_process = mine[0].backend == "transit"
        backend_cpu = f"{median_of(mine, name, 'backend_cpu_ms'):.2f}" if own_process else "-"
        rows.append(
            f"| {backend} | {median_of(mine, name, 'rate'):,.0f} | {ratio:.2f} "
            f"| {median_of(mine, name, 'p50_ms'):.1f} | {median_of(mine, name, 'p99_ms'):.1f} "
            f"| {calls_text(calls)} | {call_ms_text(phases)} "
            f"| {median_of(mine, name, 'server_cpu_ms'):.2f} "
            f"| {backend_cpu} | {median_of(mine, name, 'machine_cpu_ms'):.2f} |"
        )
    return rows


def rounds_table(runs: list[Run]) -> list[str]:
    rows = [
        (
            "| round | backend | creations/s | ratio | p50 ms | p99 ms | KMS calls per creation "
            "| replays/s | ratio | p50 ms | p99 ms | KMS calls per replay |"
        ),
        "| ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for run in runs:
        cells = [str(run.round), run.backend]
        for name in ("create", "replay"):
            done: Phase = getattr(run, name)
            cells += [
                f"{done.rate:,.0f} ({done.requests})",
                f"{ratio_to_none(runs, run, name, 'rate'):.2f}",
                f"{done.p50_ms:.1f}",
                f"{done.p99_ms:.1f}",
                calls_text(done.calls)
                + (f" ({done.failed_calls:.0f} failed)" * (done.failed_calls > 0)),
            ]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


FOOTNOTE = (
    "Ratio: the backend's rate over WALLET_KMS=none's in the same round (in the summaries, the "
    "median of those ratios). KMS calls each: wallet_kms_calls_total by operation over the "
    "phase's requests, from /metrics; KMS call ms: wallet_kms_call_seconds, the mean call as the "
    "service saw it. CPU: of the `serve` process and its children (SoftHSM2 runs inside it), "
    "of the OpenBao server, and all cores' busy time (server, backend, database, load generator "
    "and whatever else the shared machine ran)."
)


def revision() -> str:
    """The commit measured, and whether tracked files differ from it."""

    def git(*arguments: str) -> str:
        done = subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, check=False)
        return done.stdout.decode().strip()

    commit = git("rev-parse", "--short", "HEAD") or "an unknown commit"
    changed = git("status", "--porcelain", "--untracked-files=no")
    return commit + (" with uncommitted changes" if changed else "")


def header(runs: list[Run], described: str, seconds: float) -> str:
    order = ", ".join(run.backend for run in runs)
    return (
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC (code at {revision()}) "
        f"on {os.cpu_count()} cores in "
        f"{seconds:.0f} s: one `serve` worker on {described}; load generator, backends and "
        f"database on the same machine. Per run: {USERS} new users' wallets created by a closed "
        f"loop of {CONCURRENCY} concurrent requests (at most {PHASE_SECONDS:.0f} s), then the same "
        f"wallets replayed, after a warm-up of {WARMUP} creations and replays. Order: {order}."
    )


def report(runs: list[Run], described: str, notes: list[str], seconds: float) -> str:
    lines = [
        "# Key-management backends: creation and replay over HTTP",
        "",
        header(runs, described, seconds),
        "",
        *[f"- {note}\n" for note in notes],
        f"## Creations (median of {ROUNDS} rounds)",
        "",
        *summary_table(runs, "create"),
        "",
        f"## Replays (median of {ROUNDS} rounds)",
        "",
        *summary_table(runs, "replay"),
        "",
        "## Each round",
        "",
        *rounds_table(runs),
        "",
        FOOTNOTE,
    ]
    return "\n".join(lines) + "\n"
