"""CPU per unit of work on PostgreSQL, in process: what taking a pooled connection and giving it
back costs the service, apart from HTTP and from the statements. Sequential, one connection, on a
throwaway database; the process's CPU time (user + system) per iteration, and its wall-clock time.

    cd <tree> && <checkout>/.venv/bin/python <checkout>/bench/unit_of_work_cpu.py [COUNT]

- `enter+exit`: a read-only unit of work opened and closed, no statement;
- `read`: the same with the hot read (`wallets.get_by_user`, a wallet that exists);
- `GetWalletByUser`: the use case as a GET calls it (the container's provider included).

The tree measured is the current directory's (compare commits with `git worktree add`). Bounded:
COUNT (default 3000, at most 20000) iterations of each, after 200 to warm up. Needs PostgreSQL at
TEST_DATABASE_URL. Under callgrind, COUNT 0 then N gives the instructions of N iterations of the
three cases together (the client's: the database's are another process):

    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p \
        python bench/unit_of_work_cpu.py N    # N = 0, then 1000; read `summary:`
"""

import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import uvloop

sys.path.insert(0, str(Path.cwd()))  # the tree measured: the current directory's

from adapters.crypto.envelope import KdfParams
from application.create_user_wallet import CreateWalletRequest
from application.register_user import RegisterUserRequest
from bench.seed_data import migrate
from domain.secrets import EncryptionKey
from entrypoints.container import open_container
from entrypoints.settings import Settings
from harness.postgres import throwaway_database

WARMUP = 200
MAX_COUNT = 20_000
USER = "uow-bench"


async def measure(url: str, count: int) -> None:
    settings = Settings(database_url=url, api_tokens=("t" * 32,), kdf=KdfParams(64, 1))
    async with open_container(settings) as container:
        await container.register_user()(RegisterUserRequest(f"{USER}@b.test", USER))
        with EncryptionKey(b"a caller key of at least 16 characters") as key:
            await container.create_user_wallet()(CreateWalletRequest(USER, key))
        reads = container.read_unit_of_work

        async def enter_exit() -> None:
            async with reads():
                pass

        async def read() -> None:
            async with reads() as uow:
                await uow.wallets.get_by_user(USER)

        async def use_case() -> None:
            await container.get_wallet_by_user()(USER)

        cases: dict[str, Callable[[], Awaitable[None]]] = {
            "enter+exit": enter_exit,
            "read": read,
            "GetWalletByUser": use_case,
        }
        for name, case in cases.items():
            for _ in range(WARMUP):
                await case()
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(count):
                await case()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            if count:
                print(f"{name}: {cpu / count * 1e6:.1f} us CPU, {wall / count * 1e6:.1f} us wall")


def main() -> None:
    count = min(int(sys.argv[1]) if len(sys.argv) > 1 else 3000, MAX_COUNT)
    with throwaway_database("uow_cpu") as url:
        migrate(url)
        uvloop.run(measure(url, count))


if __name__ == "__main__":
    main()
