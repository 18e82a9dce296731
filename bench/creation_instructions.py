"""Instructions per wallet creation or read, in process on the in-memory adapters (callgrind).

Runs itself twice under `valgrind --tool=callgrind` (PYTHONHASHSEED=0): once with only the set-up,
once with COUNT calls more of the container's create_user_wallet use case (get_wallet_by_user in
`get` mode), and prints (Ir(COUNT) - Ir(0)) / COUNT. Instruction counts repeat where wall-clock
times do not, so two versions of the code can be compared on a busy machine. Needs valgrind.

    uv run python bench/creation_instructions.py [--mode warm|unknown|get] [--count N] [--tree DIR]

- warm: creations for registered users under one caller key, cached during the set-up, so that
  no creation derives a key (the hot path);
- unknown: creations for users that do not exist, each under a key never seen before;
- get: GetWalletByUser reads of wallets the set-up created (one for each of the USERS users,
  whatever COUNT), no key involved.

`--tree DIR` measures another checkout (`git worktree add /tmp/wt-before <commit>`) on this
environment. Bounded: at most 1000 calls a run (default 1000 warm or get, 20 unknown: an unknown
creation may cost an Argon2id derivation, which takes seconds under valgrind); 3 to 4 minutes a
run.
"""

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from entrypoints.container import Container

ROOT = Path(__file__).resolve().parent.parent
USERS = 1000
"""Users registered in every run, whatever COUNT: both runs pay the same set-up."""
MODES = ("warm", "unknown", "get")
KEY = "benchmark caller key 0123456789abcdef"


async def _creations(tree: Path, mode: str, count: int) -> None:
    # Imported here, once `tree` is first on the path.
    sys.path.insert(0, str(tree))
    import application  # noqa: PLC0415
    from application.create_user_wallet import CreateWalletRequest  # noqa: PLC0415
    from application.register_user import RegisterUserRequest  # noqa: PLC0415
    from domain.errors import UserNotFound  # noqa: PLC0415
    from domain.secrets import EncryptionKey  # noqa: PLC0415
    from entrypoints.container import open_container  # noqa: PLC0415
    from entrypoints.settings import Settings  # noqa: PLC0415

    if not Path(application.__file__).is_relative_to(tree):
        raise SystemExit(f"measuring {application.__file__}, not {tree}")

    async def create(user_id: str, key: str) -> bool:
        with EncryptionKey.from_text(key) as encryption_key:
            try:
                await container.create_user_wallet()(CreateWalletRequest(user_id, encryption_key))
            except UserNotFound:
                return False
            return True

    async with open_container(Settings(database_url="memory://")) as container:
        for n in range(USERS + 1):
            await container.register_user()(RegisterUserRequest(f"u{n}@example.com", f"u{n}"))
        # One of each kind first: the key gets cached, every code path has run once. The unknown
        # user's key is the cached one: a key derived and never confirmed would stay on probation,
        # and then every later opening pays an HMAC to confirm its own key.
        if not await create(f"u{USERS}", KEY) or await create("nobody", KEY):
            raise SystemExit("the set-up's creations went wrong")
        if mode == "get":
            await _reads(container, count)
            return
        for n in range(count):
            made = await (
                create(f"u{n}", KEY) if mode == "warm" else create(f"nobody-{n}", f"{KEY} {n:06d}")
            )
            if made != (mode == "warm"):
                raise SystemExit(f"creation {n} went wrong")


async def _reads(container: "Container", count: int) -> None:
    """`count` reads of wallets created first for each of the USERS users (whatever `count`),
    after one read of the set-up's wallet."""
    from application.create_user_wallet import CreateWalletRequest  # noqa: PLC0415
    from domain.secrets import EncryptionKey  # noqa: PLC0415

    with EncryptionKey.from_text(KEY) as key:
        for n in range(USERS):
            await container.create_user_wallet()(CreateWalletRequest(f"u{n}", key))
    read = container.get_wallet_by_user
    if (await read()(f"u{USERS}")).user_id != f"u{USERS}":
        raise SystemExit("the set-up's read went wrong")
    for n in range(count):
        if (await read()(f"u{n}")).user_id != f"u{n}":
            raise SystemExit(f"read {n} went wrong")


def _instructions(tree: Path, mode: str, count: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/callgrind.out"]
        command += [sys.executable, __file__, f"--tree={tree}", f"--mode={mode}"]
        command += [f"--count={count}", "--inner"]
        completed = subprocess.run(
            command,
            env={**os.environ, "PYTHONHASHSEED": "0"},
            capture_output=True,
            text=True,
            check=False,
        )
    collected = re.search(r"Collected : (\d+)", completed.stderr)
    if completed.returncode != 0 or collected is None:
        raise SystemExit(completed.stderr[-4000:])
    return int(collected.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=MODES, default="warm")
    parser.add_argument(
        "--count", type=int, help=f"calls (default {USERS} warm or get, 20 unknown)"
    )
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout to measure")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    tree = args.tree.resolve()
    count = args.count if args.count is not None else (20 if args.mode == "unknown" else USERS)
    if not 1 <= count <= USERS and not (args.inner and count == 0):
        parser.error(f"--count must be between 1 and {USERS}")
    if args.inner:
        asyncio.run(_creations(tree, args.mode, count))
        return
    base = _instructions(tree, args.mode, 0)
    total = _instructions(tree, args.mode, count)
    print(
        f"{tree} {args.mode}: Ir(0)={base:,} Ir({count})={total:,} "
        f"per call={(total - base) / count:,.0f}"
    )


if __name__ == "__main__":
    main()
