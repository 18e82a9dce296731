"""The load tools the suite drives, pgbench and wrk, with the scripts it gives them; each run
also reports the machine's CPU time per operation (/proc/stat)."""

import os
import re
import subprocess
import tempfile
from pathlib import Path
from typing import NamedTuple

from bench.suite_settings import KEY, PRESET_USERS, TOKEN

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
    # wrk pads a figure in seconds ("1.64s ") to the width of one in ms or us.
    p50 = re.search(r"^\s+50%\s+(\S+)\s*$", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)\s*$", output, re.MULTILINE)
    if rate is None or p50 is None or p99 is None:
        raise SystemExit(f"wrk printed no rate:\n{output}")
    return float(rate[1]), milliseconds(p50[1]), milliseconds(p99[1])


def milliseconds(text: str) -> float:
    """wrk's '850.00us', '45.12ms' or '1.02s' in milliseconds."""
    number, unit = re.fullmatch(r"([0-9.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
