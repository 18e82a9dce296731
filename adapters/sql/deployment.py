"""The deployment's Argon2id salt, created by the migrations and read once per process."""

import asyncio
import base64

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.engine import READ_ONLY, PoolSettings, one_off_engine
from adapters.sql.failures import unavailable_as_store_error
from adapters.sql.tables import deployment_settings

KDF_SALT = "kdf_salt"


class SqlDeploymentSalt:
    """Reads the salt row on first use and keeps it (it never changes for a deployment). A
    database that cannot be read now raises StoreUnavailable (the next call tries again); a
    database without the row, LookupError.
    """

    def __init__(self, engine: AsyncEngine, pool: PoolSettings | None = None) -> None:
        self._engine = engine
        self._pool = pool or PoolSettings()
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
        # already holds a pooled connection, and the pool may have no other to give. Same
        # prepared-statement mode as the pool: behind PgBouncer a named statement left here
        # would outlive this process and collide with the next one's.
        engine = one_off_engine(self._engine.url, self._pool)
        try:
            with unavailable_as_store_error():
                async with engine.connect() as connection:
                    await connection.execution_options(**{READ_ONLY: True})
                    value = await connection.scalar(statement)
        finally:
            await engine.dispose()
        if value is None:
            raise LookupError("the deployment salt is missing: run `wallet-orchestrator migrate`")
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
