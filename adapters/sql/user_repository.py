"""UserRepository on one SQLAlchemy async connection (Core, no ORM): the `users` table."""

from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.conventions import from_db, insert_for, to_db
from adapters.sql.tables import users
from domain.model import User

# A hot-path statement, built once: SQLAlchemy then finds its compiled form by a memoized cache
# key instead of rebuilding and re-hashing its statement tree on every request.
_USER_BY_ID = select(users).where(users.c.id == bindparam("user_id"))


class SqlUserRepository:
    """Users in the `users` table."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get(self, user_id: str) -> User | None:
        row = (await self._connection.execute(_USER_BY_ID, {"user_id": user_id})).first()
        return None if row is None else _user(row)

    async def get_by_email(self, email: str) -> User | None:
        statement = select(users).where(users.c.email == email)
        row = (await self._connection.execute(statement)).first()
        return None if row is None else _user(row)

    async def add(self, user: User) -> bool:
        statement = (
            insert_for(self._connection, users)
            .values(
                id=user.id,
                email=user.email,
                createdAt=to_db(user.created_at),
                updatedAt=to_db(user.updated_at),
            )
            .on_conflict_do_nothing()
            .returning(users.c.id)
        )
        return (await self._connection.execute(statement)).first() is not None


def _user(row: Row[Any]) -> User:
    return User(
        id=row.id,
        email=row.email,
        created_at=from_db(row.createdAt),
        updated_at=from_db(row.updatedAt),
    )
