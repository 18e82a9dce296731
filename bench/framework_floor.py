"""The HTTP framework's own floor on this machine: a Litestar app with one GET route that returns
a constant JSON body, served like `serve` serves (uvicorn, uvloop, httptools, one worker), driven
by wrk like the suite. Prints requests/s and the machine CPU per request (/proc/stat), to set
beside the suite's HTTP GET figures. Bounded (8 s of load). Run:
`uv run python bench/framework_floor.py` (needs wrk)."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
from litestar import Litestar, get

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load_tools import machine_busy_seconds  # noqa: E402
from harness.servers import free_port  # noqa: E402

SECONDS = 8


@get("/wallets/user/{user_id:str}")
async def constant(user_id: str) -> dict[str, str]:
    return {"walletId": "0192f0c4-0000-7000-8000-000000000000", "userId": user_id}


app = Litestar(route_handlers=[constant], openapi_config=None)


def main() -> None:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "bench.framework_floor:app", "--port", str(port)]
    command += [
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/wallets/user/x", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        busy = machine_busy_seconds()
        output = subprocess.run(
            [
                "wrk",
                "-t",
                "2",
                "-c",
                "32",
                "-d",
                f"{SECONDS}s",
                f"http://127.0.0.1:{port}/wallets/user/x",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        busy = machine_busy_seconds() - busy
    finally:
        server.terminate()
        server.wait(timeout=20)
    match = re.search(r"Requests/sec:\s+([0-9.]+)", output)
    if match is None:
        raise SystemExit(output)
    rate = float(match[1])
    print(
        f"minimal Litestar GET, 1 worker, wrk 32 connections: {rate:,.0f}/s, "
        f"{busy * 1000 / (rate * SECONDS):.3f} ms machine CPU per request ({os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
