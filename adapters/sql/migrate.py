"""Apply pending Alembic migrations, safely when several instances start at once; report where a
database stands without changing it.
"""

import math
import os
import socket
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy.exc
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sql.failures import unavailable_as_store_error

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant works; it only has to be the same for every instance of this service.
MIGRATION_LOCK_KEY = 0x57A11E7
_LOCK_NOT_AVAILABLE = "55P03"
# The session that holds the lock, as PostgreSQL shows it: pg_locks splits a bigint advisory
# key into classid (high half) and objid (low half), with objsubid 1.
_LOCK_HOLDER = text(
    """
    SELECT a.pid, a.application_name, host(a.client_addr) AS client,
           extract(epoch FROM now() - coalesce(a.xact_start, a.backend_start)) AS seconds
    FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
      AND l.classid = :high AND l.objid = :low
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    """
)


class MigrationLockTimeout(Exception):
    """Another session held the migration lock for longer than this instance would wait. Not a
    domain error: no use case migrates, only the edges' start-up does.
    """

    def __init__(self, waited: float, holder: str) -> None:
        super().__init__(
            f"gave up after waiting {waited:g} s for the migration lock, held by {holder}"
        )
        self.waited = waited
        self.holder = holder


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def migrate(engine: AsyncEngine, lock_timeout: float | None = None) -> None:
    """Upgrade the schema to the newest revision in one transaction. On PostgreSQL a transaction
    advisory lock makes concurrent instances take turns, each waiting at most `lock_timeout`
    seconds for it (None: as long as it takes), else MigrationLockTimeout names who holds it; on
    SQLite BEGIN IMMEDIATE does. A database that cannot be reached or refuses the work for now
    raises StoreUnavailable.
    """
    with unavailable_as_store_error():
        async with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                # One transaction, even on an engine whose connections are in AUTOCOMMIT.
                await connection.execution_options(isolation_level="READ COMMITTED")
                await _take_migration_lock(connection, lock_timeout)
            await connection.run_sync(_upgrade)
            await connection.commit()


async def _take_migration_lock(connection: AsyncConnection, lock_timeout: float | None) -> None:
    # Named for the transaction, so that an instance waiting behind this one can say who it is.
    await connection.execute(
        text("SELECT set_config('application_name', :name, true)"),
        {"name": f"wallet-orchestrator migrate {socket.gethostname()}:{os.getpid()}"},
    )
    if lock_timeout is not None:
        await connection.execute(
            text("SELECT set_config('lock_timeout', :timeout, true)"),
            {"timeout": f"{math.ceil(lock_timeout * 1000)}ms"},
        )
    try:
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
        )
    except sqlalchemy.exc.DBAPIError as error:
        if lock_timeout is None or getattr(error.orig, "sqlstate", None) != _LOCK_NOT_AVAILABLE:
            raise
        await connection.rollback()
        raise MigrationLockTimeout(lock_timeout, await _lock_holder(connection)) from None
    # The migrations' own statements wait for their locks as they did before.
    await connection.execute(text("SET LOCAL lock_timeout TO DEFAULT"))


async def _lock_holder(connection: AsyncConnection) -> str:
    """Who holds the migration lock, in words: backend pid, application name, client address,
    and for how long its transaction has been open.
    """
    row = (
        await connection.execute(
            _LOCK_HOLDER,
            {"high": MIGRATION_LOCK_KEY >> 32, "low": MIGRATION_LOCK_KEY & 0xFFFFFFFF},
        )
    ).first()
    if row is None:
        return "a session that released it just as this one gave up"
    client = row.client or "a local socket (or not visible to this role)"
    held = "an unknown time" if row.seconds is None else f"{float(row.seconds):.0f} s"
    return (
        f"PostgreSQL backend pid {row.pid} (application {row.application_name or '(none)'!r}, "
        f"client {client}, in its transaction for {held})"
    )


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


@dataclass(frozen=True, slots=True)
class MigrationState:
    """Where a database's schema stands against this release's migrations."""

    current: tuple[str, ...]
    """The revisions recorded in the database; empty when it was never migrated."""
    heads: tuple[str, ...]
    """This release's newest revisions."""
    unknown: tuple[str, ...]
    """Recorded revisions this release does not have: a newer release migrated the database."""

    @property
    def at_head(self) -> bool:
        return set(self.current) == set(self.heads)


async def migration_state(connection: AsyncConnection) -> MigrationState:
    """Read the database's revisions and compare them with this release's. Only reads: a database
    without Alembic's version table is reported as never migrated, not given one.
    """
    return await connection.run_sync(_migration_state)


def _migration_state(connection: Connection) -> MigrationState:
    current = tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
    script = ScriptDirectory.from_config(alembic_config())
    known = {revision.revision for revision in script.walk_revisions()}
    unknown = tuple(revision for revision in current if revision not in known)
    return MigrationState(current=current, heads=tuple(sorted(script.get_heads())), unknown=unknown)
