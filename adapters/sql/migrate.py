"""Apply pending Alembic migrations, safely when several instances start at once; report where a
database stands without changing it.
"""

from dataclasses import dataclass
from pathlib import Path

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
_MIGRATION_LOCK_KEY = 0x57A11E7


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def migrate(engine: AsyncEngine) -> None:
    """Upgrade the schema to the newest revision in one transaction. On PostgreSQL a transaction
    advisory lock makes concurrent instances take turns; on SQLite BEGIN IMMEDIATE does. A
    database that cannot be reached or refuses the work for now raises StoreUnavailable.
    """
    with unavailable_as_store_error():
        async with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                )
            await connection.run_sync(_upgrade)
            await connection.commit()


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
