"""IdempotencyRepository on one connection in a transaction: `idempotency_keys`, keyed by
("tokenId", "key").
"""

from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.conventions import from_db, insert_for, to_db
from adapters.sql.tables import idempotency_keys as keys
from domain.idempotency import IdempotencyRecord, KeptResponse


class SqlIdempotencyRepository:
    """Idempotency keys in `idempotency_keys`; a claim is an INSERT that replaces only an
    expired row, so that of two concurrent claims the unique key lets one through.
    """

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def claim(self, record: IdempotencyRecord) -> bool:
        values = {
            "tokenId": record.token_id,
            "key": record.key,
            "requestHash": record.request_hash,
            "startedAt": to_db(record.started_at),
            "expiresAt": to_db(record.expires_at),
            "status": None,
            "body": None,
            "mediaType": None,
        }
        statement = insert_for(self._connection, keys).values(**values)
        replaced = {name: statement.excluded[name] for name in values if name not in _KEY}
        claimed = await self._connection.execute(
            statement.on_conflict_do_update(
                index_elements=list(_KEY),
                set_=replaced,
                where=keys.c.expiresAt <= to_db(record.started_at),
            ).returning(keys.c.tokenId)
        )
        return claimed.first() is not None

    async def get(self, token_id: str, key: str) -> IdempotencyRecord | None:
        statement = select(keys).where(keys.c.tokenId == token_id, keys.c.key == key)
        row = (await self._connection.execute(statement)).first()
        return None if row is None else _record(row)

    async def take_over(self, record: IdempotencyRecord, started_at: datetime) -> bool:
        statement = (
            update(keys)
            .where(
                keys.c.tokenId == record.token_id,
                keys.c.key == record.key,
                keys.c.startedAt == to_db(record.started_at),
                keys.c.status.is_(None),
            )
            .values(startedAt=to_db(started_at))
        )
        return bool((await self._connection.execute(statement)).rowcount)

    async def answer(self, token_id: str, key: str, response: KeptResponse) -> None:
        await self._connection.execute(
            update(keys)
            .where(keys.c.tokenId == token_id, keys.c.key == key)
            .values(status=response.status, body=response.body, mediaType=response.media_type)
        )

    async def remove(self, token_id: str, key: str) -> None:
        await self._connection.execute(
            delete(keys).where(keys.c.tokenId == token_id, keys.c.key == key)
        )

    async def purge(self, now: datetime, limit: int) -> int:
        expired = (
            select(keys.c.tokenId, keys.c.key)
            .where(keys.c.expiresAt <= to_db(now))
            .order_by(keys.c.expiresAt)
            .limit(limit)
        )
        rows = (await self._connection.execute(expired)).all()
        for token_id, key in rows:
            await self.remove(token_id, key)
        return len(rows)


_KEY = ("tokenId", "key")


def _record(row: Row[Any]) -> IdempotencyRecord:
    response = (
        None if row.status is None else KeptResponse(row.status, bytes(row.body), row.mediaType)
    )
    return IdempotencyRecord(
        row.tokenId,
        row.key,
        row.requestHash,
        from_db(row.startedAt),
        from_db(row.expiresAt),
        response,
    )
