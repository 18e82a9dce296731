"""UserRepository and WalletRepository on one SQLAlchemy async connection (Core, no ORM)."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Insert, Row, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.tables import users, wallets
from domain.errors import PublicKeyTaken, UserNotFound
from domain.model import User, Wallet

_FOREIGN_KEY_VIOLATION = "23503"


class SqlUserRepository:
    """Users in the `users` table."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get(self, user_id: str) -> User | None:
        row = (await self._connection.execute(select(users).where(users.c.id == user_id))).first()
        return None if row is None else _user(row)

    async def get_by_email(self, email: str) -> User | None:
        statement = select(users).where(users.c.email == email)
        row = (await self._connection.execute(statement)).first()
        return None if row is None else _user(row)

    async def add(self, user: User) -> bool:
        statement = (
            _insert(self._connection, users)
            .values(
                id=user.id,
                email=user.email,
                createdAt=_to_db(user.created_at),
                updatedAt=_to_db(user.updated_at),
            )
            .on_conflict_do_nothing()
            .returning(users.c.id)
        )
        return (await self._connection.execute(statement)).first() is not None


class SqlWalletRepository:
    """Wallets in the `wallets` table; its unique "userId" decides who wins a race."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get_by_user(self, user_id: str) -> Wallet | None:
        statement = select(wallets).where(wallets.c.userId == user_id)
        row = (await self._connection.execute(statement)).first()
        return None if row is None else _wallet(row)

    async def add(self, wallet: Wallet) -> Wallet:
        statement = (
            _insert(self._connection, wallets)
            .values(
                id=wallet.id,
                userId=wallet.user_id,
                publicKey=wallet.public_key,
                encryptedKey=wallet.encrypted_key,
                createdAt=_to_db(wallet.created_at),
                updatedAt=_to_db(wallet.updated_at),
            )
            .on_conflict_do_nothing(index_elements=[wallets.c.userId])
            .returning(wallets.c.id)
        )
        try:
            inserted = (await self._connection.execute(statement)).first()
        except IntegrityError as error:
            if _is_foreign_key_violation(error):
                raise UserNotFound(wallet.user_id) from None
            raise PublicKeyTaken from None
        if inserted is not None:
            return wallet
        stored = await self.get_by_user(wallet.user_id)
        if stored is None:
            raise UserNotFound(wallet.user_id)
        return stored


def _insert(connection: AsyncConnection, table: Table) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (both PostgreSQL and SQLite have it)."""
    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement: Insert = dialect_insert(table)
    return statement


def _is_foreign_key_violation(error: IntegrityError) -> bool:
    original = error.orig
    code = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    return code == _FOREIGN_KEY_VIOLATION or "FOREIGN KEY" in str(original)


def _to_db(moment: datetime) -> datetime:
    """The seed stores naive UTC timestamps."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def _from_db(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _user(row: Row[Any]) -> User:
    return User(
        id=row.id,
        email=row.email,
        created_at=_from_db(row.createdAt),
        updated_at=_from_db(row.updatedAt),
    )


def _wallet(row: Row[Any]) -> Wallet:
    return Wallet(
        id=row.id,
        user_id=row.userId,
        public_key=row.publicKey,
        encrypted_key=row.encryptedKey,
        created_at=_from_db(row.createdAt),
        updated_at=_from_db(row.updatedAt),
    )
