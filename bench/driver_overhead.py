"""What SQLAlchemy adds per statement over asyncpg on this machine: the same trivial statement,
sequentially on one connection, through SQLAlchemy's async engine and through asyncpg directly,
alone and inside BEGIN/COMMIT. Bounded (a few thousand statements). Run:
`uv run python bench/driver_overhead.py` (PostgreSQL at TEST_DATABASE_URL)."""

import os
import sys
import time
from pathlib import Path

import asyncpg
import uvloop
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from adapters.sql.engine import create_engine  # noqa: E402

URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
STATEMENTS = 4000
WARMUP = 200


async def through_sqlalchemy() -> tuple[float, float]:
    engine = create_engine(URL)
    statement = text("SELECT 1 WHERE CAST(:x AS text) IS NOT NULL")
    try:
        async with engine.connect() as connection:
            for _ in range(WARMUP):
                await connection.execute(statement, {"x": "a"})
            started = time.perf_counter()
            for _ in range(STATEMENTS):
                await connection.execute(statement, {"x": "a"})
            alone = (time.perf_counter() - started) / STATEMENTS
            await connection.commit()
            started = time.perf_counter()
            for _ in range(STATEMENTS // 2):
                await connection.begin()
                await connection.execute(statement, {"x": "a"})
                await connection.commit()
            in_transaction = (time.perf_counter() - started) / (STATEMENTS // 2)
    finally:
        await engine.dispose()
    return alone, in_transaction


async def through_asyncpg() -> tuple[float, float]:
    connection = await asyncpg.connect(URL)
    statement = "SELECT 1 WHERE $1::text IS NOT NULL"
    try:
        for _ in range(WARMUP):
            await connection.fetchrow(statement, "a")
        started = time.perf_counter()
        for _ in range(STATEMENTS):
            await connection.fetchrow(statement, "a")
        alone = (time.perf_counter() - started) / STATEMENTS
        started = time.perf_counter()
        for _ in range(STATEMENTS // 2):
            async with connection.transaction():
                await connection.fetchrow(statement, "a")
        in_transaction = (time.perf_counter() - started) / (STATEMENTS // 2)
    finally:
        await connection.close()
    return alone, in_transaction


def main() -> None:
    for _ in range(2):
        sa_alone, sa_transaction = uvloop.run(through_sqlalchemy())
        pg_alone, pg_transaction = uvloop.run(through_asyncpg())
        print(
            f"one statement: SQLAlchemy {sa_alone * 1e6:.0f} µs, asyncpg {pg_alone * 1e6:.0f} µs; "
            f"BEGIN + statement + COMMIT: SQLAlchemy {sa_transaction * 1e6:.0f} µs, "
            f"asyncpg {pg_transaction * 1e6:.0f} µs"
        )


if __name__ == "__main__":
    main()
