"""The suite's databases: the schema migrated in, users seeded for the load generators (in
PostgreSQL, and in the embedded SQLite file), and stored wallets grown for the growth figures
(each with its user and its created event)."""

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

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


def seed_sqlite_users(path: Path, prefixes: list[str], count: int) -> None:
    """seed_users on a migrated SQLite file: users <prefix>-1 to <prefix>-<count>, stamped now as
    the service stores timestamps (naive UTC, as SQLAlchemy writes them in SQLite)."""
    now = datetime.now(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    with closing(sqlite3.connect(path)) as connection:
        for prefix in prefixes:
            connection.execute(
                "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?2) "
                "INSERT INTO users SELECT ?1 || '-' || n, ?1 || '-' || n || '@bench.example', "
                "?3, ?3 FROM g",
                (prefix, count, now),
            )
        connection.commit()
        connection.execute("ANALYZE")


async def grow_to(url: str, have: int, want: int) -> None:
    """Stored wallets (with users and a created event each) from `have` up to `want`."""
    connection = await asyncpg.connect(url)
    try:
        for statement in GROWTH_STATEMENTS:
            await connection.execute(statement, have + 1, want)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
