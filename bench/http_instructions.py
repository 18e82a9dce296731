r"""CPU cost per HTTP request, in process on the in-memory adapters: instructions (callgrind `Ir`,
which repeat on a busy machine where times do not) or wall-clock.

    uv run python bench/http_instructions.py N [SCENARIO ...]              # time per request
    uv run python bench/http_instructions.py N [SCENARIO ...] --callgrind  # Ir per request

Each SCENARIO (default: every one this tree has) gets its own container (memory://) and app, a
set-up that does not depend on N (N at most POOL), then N requests through the ASGI app
(httpx.ASGITransport), each checked for its status:

- create: POST /wallets/create-user-wallet for a registered user, under a caller key already
  stretched (the set-up created a wallet with it: the key cache is warm);
- sign: POST /wallets/user/{id}/sign of a payment from the wallet's own account, no policy set;
- sign-policy: the same, the wallet's own policy holding a native perDay limit;
- users: POST /users, a new user each time;
- users-keyed: the same with an Idempotency-Key header, a new key each time;
- get: GET /wallets/user/{id} of a wallet the set-up created (READERS of them, in turn);
- replay: POST /wallets/create-user-wallet for a user of those wallets, under the key that
  created it: the existing wallet, 200.

The set-up makes the scenario's request once, so one-time costs (imports, caches) are in it, and
the instructions per request are (Ir(N) - Ir(0)) / N. `--callgrind` measures that, one process
per scenario and N, after a plain run has compiled the bytecode; by hand:

    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p \
        python bench/http_instructions.py N SCENARIO    # N = 0, then 200; read `summary:`

(under PYTHONDONTWRITEBYTECODE each run compiles all it imports: some 2e10 Ir and minutes more,
and per-request figures about 1% lower, on every tree alike). A figure repeats within 0.05%, but
the same code in another tree or place can differ by up to 0.7% (memory layout): a smaller
change between two trees is not resolved.

The code measured is the current directory's: to compare commits, `git worktree add /tmp/wt
<commit>` and run this file from /tmp/wt with this environment's python. On the memory adapters
a wallet's events and spending are lists, so a sign costs more with each sign before it (under a
daily limit, about 6,000 Ir per sign already counted that day): compare figures of the same N.
"""

import argparse
import asyncio
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path.cwd()))  # the tree measured: the current directory's, not the venv's

import httpx
from stellar_sdk import Account, Asset, Network, TransactionBuilder

import entrypoints
from adapters.crypto.envelope import KdfParams
from application.register_user import RegisterUserRequest
from bench.suite_settings import TOKEN
from entrypoints.container import Container, open_container
from entrypoints.http.app import create_app
from entrypoints.settings import Settings

AUTH = {"Authorization": f"Bearer {TOKEN}"}
CHEAP_KDF = KdfParams(memory_kib=64, iterations=1)
"""The set-ups derive a key or two: cheaply, as the requests measured derive none."""
POOL = 2000
"""Users registered for `create` whatever N (so at most this many creations)."""
KEY = "a caller key of at least 16 characters"
DESTINATION = "GAB2CB576PHBBPQ5ODORRZ2LYCMWPZGWGCN2KDK7DXOIMZASKUY3QZ6Q"
TESTNET = Network.TESTNET_NETWORK_PASSPHRASE
DAILY_LIMIT = {"limits": [{"asset": "native", "perDay": "1000000000"}]}
READERS = 50
"""Wallets created for `get` and `replay` whatever N; request n reads wallet n mod READERS."""
SCENARIOS = ("create", "sign", "sign-policy", "users", "users-keyed", "get", "replay")
REQUIRES = {
    "sign-policy": "application.signing_policy",
    "users-keyed": "entrypoints.http.idempotency",
}
"""The module without which a scenario is skipped (a tree from before that feature)."""

Request = Callable[[int], Awaitable[object]]


class Bench:
    """An HTTP client on the app of one container, and what the set-ups need of both."""

    def __init__(self, client: httpx.AsyncClient, container: Container) -> None:
        self.client = client
        self.container = container

    async def call(self, method: str, path: str, body: object, status: int, **headers: str) -> Any:
        answer = await self.client.request(method, path, json=body, headers={**AUTH, **headers})
        if answer.status_code != status:
            raise SystemExit(f"{method} {path}: {answer.status_code} {answer.text}")
        return answer.json()

    async def register(self, user_id: str) -> None:
        await self.container.register_user()(RegisterUserRequest(f"{user_id}@b.test", user_id))

    async def wallet(self, user_id: str) -> str:
        """A new wallet's public key, for a new user."""
        await self.register(user_id)
        body = {"userId": user_id, "encryptionKey": KEY}
        created = await self.call("POST", "/wallets/create-user-wallet", body, 201)
        return str(created["publicKey"])

    async def creations(self, count: int) -> Request:
        for n in range(-1, max(POOL, count)):
            await self.register(f"p{n}")
        await self.wallet("warm")  # derives the key: the creations find it cached
        body = {"encryptionKey": KEY}
        return lambda n: self.call(
            "POST", "/wallets/create-user-wallet", body | {"userId": f"p{n}"}, 201
        )

    async def signatures(self, *, policy: bool) -> Request:
        builder = TransactionBuilder(Account(await self.wallet("signer"), 1234), TESTNET, 100)
        builder.append_payment_op(DESTINATION, Asset.native(), "10").set_timeout(86400)
        body = {"encryptionKey": KEY, "transactionXdr": builder.build().to_xdr()}
        body["networkPassphrase"] = TESTNET
        if policy:
            await self.call("PUT", "/wallets/user/signer/policy", DAILY_LIMIT, 200)
        return lambda _: self.call("POST", "/wallets/user/signer/sign", body, 200)

    async def reads(self, *, replay: bool) -> Request:
        for n in range(READERS):
            await self.wallet(f"r{n}")
        if replay:
            body = {"encryptionKey": KEY}
            return lambda n: self.call(
                "POST", "/wallets/create-user-wallet", body | {"userId": f"r{n % READERS}"}, 200
            )
        return lambda n: self.call("GET", f"/wallets/user/r{n % READERS}", None, 200)

    def registrations(self, *, keyed: bool) -> Request:
        def register(n: int) -> Awaitable[object]:
            key = {"Idempotency-Key": f"bench-{n:06d}"} if keyed else {}
            return self.call("POST", "/users", {"email": f"u{n}@b.test", "id": f"u{n}"}, 201, **key)

        return register


async def run(scenario: str, count: int) -> float:
    """Set up `scenario`, then make `count` requests; the seconds those took."""
    # The key stays cached however slowly valgrind runs.
    settings = Settings(
        database_url="memory://", api_tokens=(TOKEN,), kdf=CHEAP_KDF, key_cache_ttl=1e7
    )
    async with open_container(settings) as container:
        transport = httpx.ASGITransport(app=create_app(container))  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            bench = Bench(client, container)
            if scenario == "create":
                request = await bench.creations(count)
            elif scenario.startswith("sign"):
                request = await bench.signatures(policy=scenario == "sign-policy")
            elif scenario in {"get", "replay"}:
                request = await bench.reads(replay=scenario == "replay")
            else:
                request = bench.registrations(keyed=scenario == "users-keyed")
            await request(-1)  # every code path has run once before the count
            started = time.perf_counter()
            for n in range(count):
                await request(n)
            return time.perf_counter() - started


def instructions(scenario: str, counts: tuple[int, ...]) -> list[int]:
    """Ir of whole runs of this file under callgrind, one per count. Their bytecode is compiled
    first, by a plain run: otherwise (PYTHONDONTWRITEBYTECODE) compiling what they import is
    most of each run's instructions, and time.
    """
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPYCACHEPREFIX": f"{tmp}/pycache"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        this = [sys.executable, __file__]
        subprocess.run([*this, "0", scenario], env=env, check=True, capture_output=True)
        return [_callgrind([*this, str(count), scenario], env, f"{tmp}/out") for count in counts]


def _callgrind(command: list[str], env: dict[str, str], out: str) -> int:
    valgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
    subprocess.run([*valgrind, *command], env=env, check=True, capture_output=True)
    summary = re.search(r"^summary: (\d+)", Path(out).read_text(), re.MULTILINE)
    if summary is None:
        raise SystemExit(f"no summary in {out}")
    return int(summary.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, metavar="N")
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help=", ".join(SCENARIOS))
    parser.add_argument("--callgrind", action="store_true", help="Ir per request")
    args = parser.parse_args()
    if not set(args.scenarios) <= set(SCENARIOS) or args.count < 0:
        parser.error(f"N >= 0; scenarios among {', '.join(SCENARIOS)}")
    tree = Path(entrypoints.__file__).resolve().parent.parent
    if tree != Path.cwd().resolve():
        raise SystemExit(f"run from the tree to measure: this imports {tree}")
    for scenario in args.scenarios or SCENARIOS:
        if scenario in REQUIRES and importlib.util.find_spec(REQUIRES[scenario]) is None:
            print(f"{scenario}: not in this tree ({tree})", flush=True)
        elif args.callgrind:
            base, total = instructions(scenario, (0, args.count))
            per = (total - base) / max(args.count, 1)
            print(f"{scenario}: {per:,.0f} Ir/request (Ir({args.count})={total}, Ir(0)={base})")
        else:
            seconds = asyncio.run(run(scenario, args.count))
            per = f"{seconds / args.count * 1e6:,.1f} us/request" if args.count else "set-up"
            print(f"{scenario}: {per} ({args.count} requests, {tree})", flush=True)


if __name__ == "__main__":
    main()
