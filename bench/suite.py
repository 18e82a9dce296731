"""The benchmark suite: the service measured against the machine's floors, in one run.

1. crypto floor (PyNaCl keypair + one AEAD encryption, one core) vs CreateUserWallet in-process
   on the in-memory adapters with a warm key cache;
2. pgbench running the creation transaction and a single-row lookup on the seed schema vs
   wrk driving HTTP creations (new users each time), replays and GETs, per worker count;
3. creation p50/p99/p99.9 at half the peak rate, open loop (bench/open_loop.py), after a
   warm-up whose slowest request is reported apart (what callers see right after a start);
4. creation p50/p99/p99.9 with 10 thousand, 100 thousand and 1 million wallets stored, open
   loop at a fixed rate;
5. server RSS after 10 thousand and 100 thousand creations.

Every run is bounded (BENCH_SECONDS each, loopback only). Writes bench/results/REPORT.md
(bench/chart.py then draws it as report.png).
Run with `just bench`.
"""

import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import asyncpg
import nacl.bindings
import nacl.utils
from nacl.public import PrivateKey

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from application.create_user_wallet import CreateWalletRequest  # noqa: E402
from application.register_user import RegisterUserRequest  # noqa: E402
from bench.open_loop import run_open_loop  # noqa: E402
from domain.secrets import EncryptionKey  # noqa: E402
from entrypoints.container import open_container  # noqa: E402
from entrypoints.settings import Settings  # noqa: E402
from harness.postgres import throwaway_database  # noqa: E402
from harness.servers import serving  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
KEY = "a caller key of at least 16 characters"
TOKEN = "bench-token-0123456789"  # noqa: S105 - a throwaway token for a throwaway server
RESULTS = ROOT / "bench" / "results"
PRESET_USERS = 100_000
WARMUP_SECONDS = 2.0


def per_second(work: Callable[[], object], seconds: float) -> float:
    done, deadline = 0, time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        for _ in range(100):
            work()
        done += 100
    return done / (time.perf_counter() - started)


def crypto_floor(seconds: float) -> float:
    """Keypairs plus one XChaCha20-Poly1305 encryption each, per second, one core."""
    key = nacl.utils.random(32)

    def once() -> None:
        _, secret = nacl.bindings.crypto_sign_seed_keypair(nacl.utils.random(32))
        nonce = nacl.utils.random(24)
        nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(secret[:32], b"ad", nonce, key)

    PrivateKey.generate()
    return per_second(once, seconds)


async def in_process_creations(seconds: float, users: int = 60_000) -> float:
    """CreateUserWallet calls per second for users registered beforehand (not timed)."""
    async with open_container(Settings(database_url="memory://")) as container:
        register, create = container.register_user, container.create_user_wallet
        user_ids = [
            (await register()(RegisterUserRequest(f"u{n}@example.com"))).id for n in range(users)
        ]
        with EncryptionKey.from_text(KEY) as key:
            await create()(CreateWalletRequest(user_ids.pop(), key))  # warms the key cache
            done, started = 0, time.perf_counter()
            while user_ids and time.perf_counter() - started < seconds:
                await create()(CreateWalletRequest(user_ids.pop(), key))
                done += 1
        return done / (time.perf_counter() - started)


CREATE_TRANSACTION = """\\set n random(1, {users})
BEGIN;
SELECT id FROM users WHERE id = 'pg-' || :n;
INSERT INTO wallets (id, "userId", "publicKey", "encryptedKey", "createdAt", "updatedAt")
  VALUES (gen_random_uuid()::text, 'pg-' || :n, 'G' || md5(random()::text) || md5(random()::text),
          'wo1$bench', now(), now())
  ON CONFLICT ("userId") DO NOTHING RETURNING id;
COMMIT;
"""
LOOKUP = """\\set n random(1, {users})
SELECT * FROM users WHERE id = 'pg-' || :n;
"""

WRK_CREATE = """local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
counter = 0
request = function()
  counter = counter + 1
  local user = PREFIX .. '-' .. tid .. '-' .. counter
  local body = '{"userId":"' .. user .. '","encryptionKey":"KEY"}'
  return wrk.format("POST", "/wallets/create-user-wallet", HEADERS, body)
end
"""
WRK_REPLAY = """request = function()
  local user = PREFIX .. '-1-' .. math.random(1, EXISTING)
  local body = '{"userId":"' .. user .. '","encryptionKey":"KEY"}'
  return wrk.format("POST", "/wallets/create-user-wallet", HEADERS, body)
end
"""
WRK_GET = """request = function()
  return wrk.format("GET", "/wallets/user/" .. PREFIX .. "-1-" .. math.random(1, EXISTING), HEADERS)
end
"""


async def seed_users(url: str, prefixes: list[str], count: int) -> None:
    connection = await asyncpg.connect(url)
    try:
        for prefix in prefixes:
            await connection.execute(
                "INSERT INTO users SELECT $1 || '-' || g, $1 || '-' || g || '@bench.example', "
                "now(), now() FROM generate_series(1, $2) g",
                prefix,
                count,
            )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


def run_with_script(argv: list[str], script: str, suffix: str) -> str:
    """Run a load tool with `script` in a temporary file (its path replaces SCRIPT in argv)."""
    with tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False) as file:
        file.write(script)
    try:
        command = [file.name if arg == "SCRIPT" else arg for arg in argv]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        Path(file.name).unlink()


def machine_busy_seconds() -> float:
    """CPU time all cores have spent busy since boot, whoever ran (/proc/stat; Linux)."""
    ticks = [int(field) for field in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle and iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class Throughput(NamedTuple):
    """Operations per second, and the machine's CPU time per operation (ms): load generator,
    database and service together, since they share the cores."""

    rate: float
    cpu_ms: float


def pgbench(url: str, script: str, clients: int, seconds: float) -> Throughput:
    argv = ["pgbench", "-n", "-f", "SCRIPT", "-c", str(clients), "-j", "2", "-T"]
    busy = machine_busy_seconds()
    output = run_with_script(
        [*argv, str(int(seconds)), url], script.format(users=PRESET_USERS), ".sql"
    )
    busy = machine_busy_seconds() - busy
    match = re.search(r"tps = ([0-9.]+)", output)
    done = re.search(r"number of transactions actually processed: (\d+)", output)
    if match is None or done is None:
        raise SystemExit(f"pgbench printed no tps:\n{output}")
    return Throughput(float(match[1]), busy * 1000 / int(done[1]))


def wrk(base_url: str, lua: str, seconds: float, connections: int = 32) -> tuple[Throughput, str]:
    busy = machine_busy_seconds()
    rate, _, p99 = wrk_latency(base_url, lua, seconds, connections)
    busy = machine_busy_seconds() - busy
    return Throughput(rate, busy * 1000 / (rate * int(seconds))), f"{p99:.1f} ms"


def wrk_latency(
    base_url: str, lua: str, seconds: float, connections: int = 32
) -> tuple[float, float, float]:
    """Requests per second, p50 and p99 in milliseconds."""
    headers = '{["Authorization"]="Bearer ' + TOKEN + '",["Content-Type"]="application/json"}'
    script = lua.replace("HEADERS", headers).replace("KEY", KEY)
    argv = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{int(seconds)}s", "--latency"]
    output = run_with_script([*argv, "-s", "SCRIPT", base_url], script, ".lua")
    rate = re.search(r"Requests/sec:\s+([0-9.]+)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise SystemExit(f"wrk saw {errors[1]} failed responses:\n{output}")
    p50 = re.search(r"^\s+50%\s+(\S+)$", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)$", output, re.MULTILINE)
    if rate is None or p50 is None or p99 is None:
        raise SystemExit(f"wrk printed no rate:\n{output}")
    return float(rate[1]), milliseconds(p50[1]), milliseconds(p99[1])


GROWTH_LEVELS = (10_000, 100_000, 1_000_000)
GROWTH_RATE = 150.0
"""Creations per second for the growth figures: well under one worker's peak, so they show the
cost of a larger table rather than queueing."""
_SERIES = "FROM generate_series($1::int, $2::int) g"
GROWTH_STATEMENTS = (
    f"INSERT INTO users SELECT 'g-' || g, 'g-' || g || '@bench.example', now(), now() {_SERIES}",
    (
        "INSERT INTO wallets SELECT 'gw-' || g, 'g-' || g, 'G' || lpad(g::text, 55, '0'), "
        f"'wo1$bench', now(), now() {_SERIES}"
    ),
    (
        "INSERT INTO wallet_events SELECT 'gw-' || g, 1, 'created', now(), NULL, '{}', "
        f"repeat('0', 64), md5(g::text) || md5(g::text) {_SERIES}"
    ),
)


async def grow_to(url: str, have: int, want: int) -> None:
    """Stored wallets (with users and a created event each) from `have` up to `want`."""
    connection = await asyncpg.connect(url)
    try:
        for statement in GROWTH_STATEMENTS:
            await connection.execute(statement, have + 1, want)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


def milliseconds(text: str) -> float:
    """wrk's '850.00us', '45.12ms' or '1.02s' in milliseconds."""
    number, unit = re.fullmatch(r"([0-9.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def creation_latency_by_size(url: str, seconds: float) -> dict[int, dict[str, float]]:
    """Creation p50/p99/p99.9 (ms) with 10 thousand, 100 thousand and 1 million wallets stored,
    open loop at GROWTH_RATE per second on one worker (a fixed rate, so the figures compare).
    """
    latencies, have = {}, 0
    for level in GROWTH_LEVELS:
        asyncio.run(grow_to(url, have, level))
        have = level
        latencies[level], _ = open_loop_creations(
            url, f"grow{level}", workers=1, rate=GROWTH_RATE, seconds=seconds
        )
    return latencies


MEMORY_CHECKPOINTS = (10_000, 100_000)
MEMORY_CHUNK_SECONDS = 5
MEMORY_CHUNK_USERS = 4_000


def rss_mib(pid: int) -> float:
    """Resident set size of a process, MiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit(f"no VmRSS for {pid}")


def rss_after_creations(url: str) -> dict[int, tuple[int, float]]:
    """Server RSS once at least 10 thousand, then 100 thousand wallets were created through it:
    wrk runs in chunks of a few seconds, each chunk for users of its own."""
    chunks = MEMORY_CHECKPOINTS[-1] // (MEMORY_CHUNK_SECONDS * 500) + 1
    prefixes = [f"mem{chunk}-{thread}" for chunk in range(chunks) for thread in (1, 2)]
    asyncio.run(seed_users(url, prefixes, MEMORY_CHUNK_USERS))
    readings: dict[int, tuple[int, float]] = {}
    created = 0
    with (
        tempfile.TemporaryDirectory() as tmp,
        serving(url, Path(tmp) / "log", token=TOKEN) as server,
    ):
        assert server.process is not None  # noqa: S101 - started above
        for chunk in range(chunks):
            lua = WRK_CREATE.replace("PREFIX", f'"mem{chunk}"')
            rate, _, _ = wrk_latency(server.base_url, lua, MEMORY_CHUNK_SECONDS)
            created += int(rate * MEMORY_CHUNK_SECONDS)
            for checkpoint in MEMORY_CHECKPOINTS:
                if created >= checkpoint and checkpoint not in readings:
                    readings[checkpoint] = (created, rss_mib(server.process.pid))
            if len(readings) == len(MEMORY_CHECKPOINTS):
                break
    return readings


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


def main() -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    floor = crypto_floor(SECONDS)
    in_process = asyncio.run(in_process_creations(SECONDS))
    with throwaway_database("bench_suite") as url:
        subprocess.run(
            [sys.executable, "-m", "entrypoints.cli", "migrate"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": url},
            check=True,
            capture_output=True,
        )
        prefixes = ["pg", "w1-1", "w1-2", "w2-1", "w2-2"]
        asyncio.run(seed_users(url, prefixes, PRESET_USERS))
        pg_create = pgbench(url, CREATE_TRANSACTION, 8, SECONDS)
        pg_lookup = pgbench(url, LOOKUP, 8, SECONDS)
        http = {workers: http_rates(url, workers, SECONDS) for workers in (1, 2)}
        best = max(http, key=lambda workers: http[workers]["create"][0].rate)
        half_peak = http[best]["create"][0].rate / 2
        latency, cold_max = open_loop_creations(
            url, "lat", workers=best, rate=half_peak, seconds=max(SECONDS, 10)
        )
        growth = creation_latency_by_size(url, SECONDS)
        memory = rss_after_creations(url)
    rows = [
        ("crypto floor (keypair + AEAD, one core)", f"{floor:,.0f}/s", ""),
        (
            "CreateUserWallet in-process, memory adapters, warm cache",
            f"{in_process:,.0f}/s",
            f"{in_process / floor:.2f} of the crypto floor (target ≥ 0.5)",
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
    for workers, rates in http.items():
        for name, (measured, p99) in rates.items():
            floor_run = pg_create if name == "create" else pg_lookup
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
    rows.append(
        (
            (
                f"HTTP creation latency at half the peak ({half_peak:,.0f}/s open loop, "
                f"{best} worker(s))"
            ),
            ", ".join(f"{name} {value:.1f} ms" for name, value in latency.items()),
            f"p99 {latency['p99']:.1f} ms (target ≤ 20 ms)",
        )
    )
    rows.append(
        (
            (
                f"slowest creation in the first {WARMUP_SECONDS:.0f} s after a start, same rate "
                "(cold key cache and code paths; not in the figure above)"
            ),
            f"{cold_max:.1f} ms",
            "",
        )
    )
    for level, percentiles in growth.items():
        ratio = percentiles["p50"] / growth[GROWTH_LEVELS[0]]["p50"]
        rows.append(
            (
                (
                    f"HTTP creation with {level:,} wallets stored ({GROWTH_RATE:.0f}/s open loop, "
                    "1 worker)"
                ),
                ", ".join(f"{name} {value:.1f} ms" for name, value in percentiles.items()),
                f"p50 {ratio:.2f} of the 10,000 figure (target at 1 M ≤ 1.3)",
            )
        )
    first_rss = memory[MEMORY_CHECKPOINTS[0]][1] if memory else 0.0
    for checkpoint, (created, rss) in memory.items():
        rows.append(
            (
                f"server RSS after {created:,} creations (checkpoint {checkpoint:,}, 1 worker)",
                f"{rss:.0f} MiB",
                f"{rss / first_rss:.2f} of the first checkpoint (target ≤ 1.1)",
            )
        )
    report = [
        "# Benchmark report",
        "",
        (
            f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.cpu_count()} "
            f"cores, {SECONDS:.0f} s per figure, service, PostgreSQL and load generator together. "
            f"Best worker count for creation: {best}."
        ),
        "",
        "| figure | value | ratio |",
        "| --- | --- | --- |",
        *(f"| {name} | {value} | {ratio} |" for name, value, ratio in rows),
        "",
        (
            "Machine CPU is all cores' busy time during the run (/proc/stat) per operation: "
            "service, PostgreSQL and load generator together. When both runs keep the cores "
            "busy, the throughput ratio cannot exceed the CPU ceiling (pgbench's CPU per "
            "operation over the HTTP run's): it tells how far the service's own work per "
            "request would have to shrink to meet a target."
        ),
        "",
    ]
    (RESULTS / "REPORT.md").write_text("\n".join(report))
    print("\n".join(report))


if __name__ == "__main__":
    main()
