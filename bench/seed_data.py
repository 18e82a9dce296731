"""The suite's database: the schema migrated in, users seeded for the load generators, and
stored wallets grown for the growth figures (each with its user and its created event)."""

import os
import subprocess
import sys

import asyncpg

from bench.suite_settings import ROOT

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


def migrate(url: str) -> None:
    """Apply the service's migrations to the database at `url` (the CLI's `migrate`)."""
    subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "migrate"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        capture_output=True,
    )


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


async def grow_to(url: str, have: int, want: int) -> None:
    """Stored wallets (with users and a created event each) from `have` up to `want`."""
    connection = await asyncpg.connect(url)
    try:
        for statement in GROWTH_STATEMENTS:
            await connection.execute(statement, have + 1, want)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
