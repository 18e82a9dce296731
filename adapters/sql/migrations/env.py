"""Alembic environment: runs on the connection it is handed (see adapters.sql.migrate), or on
DATABASE_URL when the alembic command line is used to write new revisions.
"""

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from adapters.sql.engine import create_engine
from adapters.sql.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_environment() -> None:
    engine = create_engine(os.environ.get("DATABASE_URL", "sqlite:///./wallets.db"))
    async with engine.begin() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


handed_connection = context.config.attributes.get("connection")
if handed_connection is not None:
    _run(handed_connection)
else:
    asyncio.run(_run_from_environment())
