"""The deployment's Argon2id salt, created by the migrations and read once per process."""

import asyncio
import base64

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from adapters.sql.engine import READ_ONLY
from adapters.sql.tables import deployment_settings

KDF_SALT = "kdf_salt"


class SqlDeploymentSalt:
    """Reads the salt row on first use and keeps it (it never changes for a deployment)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._salt: bytes | None = None
        self._lock = asyncio.Lock()

    async def __call__(self) -> bytes:
        if self._salt is None:
            async with self._lock:
                if self._salt is None:
                    self._salt = await self._load()
        return self._salt

    async def _load(self) -> bytes:
        statement = select(deployment_settings.c.value).where(
            deployment_settings.c.name == KDF_SALT
        )
        # A connection of its own, outside the pool: the first caller may be a unit of work that
        # already holds a pooled connection, and the pool may have no other to give.
        engine = create_async_engine(self._engine.url, poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                await connection.execution_options(**{READ_ONLY: True})
                value = await connection.scalar(statement)
        finally:
            await engine.dispose()
        if value is None:
            raise LookupError("the deployment salt is missing: run `wallet-orchestrator migrate`")
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
