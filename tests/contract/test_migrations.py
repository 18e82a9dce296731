"""Migrations: concurrent instances take turns, and a seed (Prisma) database is taken over as is."""

import asyncio

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from adapters.sql.engine import create_engine
from adapters.sql.migrate import alembic_config, migrate
from application.create_user_wallet import CreateWalletRequest
from domain.secrets import EncryptionKey
from entrypoints.container import open_container
from tests.support import KEY, settings_for

SEED_SCHEMA = [
    """CREATE TABLE "users" (
        "id" TEXT NOT NULL, "email" TEXT NOT NULL,
        "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
        "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
        CONSTRAINT "users_pkey" PRIMARY KEY ("id"))""",
    """CREATE TABLE "wallets" (
        "id" TEXT NOT NULL, "userId" TEXT NOT NULL, "publicKey" TEXT NOT NULL,
        "encryptedKey" TEXT NOT NULL,
        "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
        "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
        CONSTRAINT "wallets_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "wallets_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id")
            ON DELETE CASCADE ON UPDATE CASCADE)""",
    'CREATE UNIQUE INDEX "users_email_key" ON "users"("email")',
    'CREATE UNIQUE INDEX "wallets_userId_key" ON "wallets"("userId")',
    'CREATE UNIQUE INDEX "wallets_publicKey_key" ON "wallets"("publicKey")',
    """INSERT INTO "users" ("id", "email", "createdAt", "updatedAt")
        VALUES ('ckseed0001', 'seed@example.com', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)""",
    """INSERT INTO "users" ("id", "email", "createdAt", "updatedAt")
        VALUES ('ckseed0002', 'old@example.com', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)""",
    """INSERT INTO "wallets"
        ("id", "userId", "publicKey", "encryptedKey", "createdAt", "updatedAt")
        VALUES ('cwseed0002', 'ckseed0002',
                'GAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
                'aes-cbc-iv:ciphertext', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)""",
]


@pytest.mark.postgres
@pytest.mark.parametrize("autocommit", [False, True], ids=["transactions", "autocommit"])
async def test_concurrent_instances_migrate_once(empty_postgres_url: str, autocommit: bool) -> None:
    """Also on the engines the service runs on, whose connections are in AUTOCOMMIT: a migration
    is one transaction all the same, its lock held to the end.
    """
    engines = [create_engine(empty_postgres_url, autocommit=autocommit) for _ in range(4)]
    await asyncio.gather(*(migrate(engine) for engine in engines))
    async with engines[0].connect() as connection:
        versions = (await connection.execute(text("SELECT version_num FROM alembic_version"))).all()
        salts = await connection.scalar(text("SELECT count(*) FROM wallet_orchestrator_settings"))
    for engine in engines:
        await engine.dispose()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert versions == [(head,)]
    assert salts == 1


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_a_seed_database_is_taken_over(backend: str, request: pytest.FixtureRequest) -> None:
    url = str(
        request.getfixturevalue("sqlite_url" if backend == "sqlite" else "empty_postgres_url")
    )
    engine = create_engine(url)
    async with engine.begin() as connection:
        for statement in SEED_SCHEMA:
            await connection.execute(text(statement))
    await engine.dispose()
    async with open_container(settings_for(url)) as container:
        with EncryptionKey.from_text(KEY) as key:
            created = await container.create_user_wallet()(CreateWalletRequest("ckseed0001", key))
        assert created.created
        with EncryptionKey.from_text(KEY) as key:
            again = await container.create_user_wallet()(CreateWalletRequest("ckseed0001", key))
        assert (again.created, again.wallet_id) == (False, created.wallet_id)
        user = await container.get_user()("ckseed0001")
        assert user.email == "seed@example.com"
        legacy = await container.get_wallet_by_user()("ckseed0002")
        assert (legacy.wallet_id, str(legacy.status)) == ("cwseed0002", "active")
        page = await container.list_wallet_events()("ckseed0002")
        assert [(e.type, e.details) for e in page.events] == [("created", {"backfilled": "true"})]
        audit = await container.verify_audit_trail()()
        assert (audit.wallets_checked, audit.broken) == (2, [])
