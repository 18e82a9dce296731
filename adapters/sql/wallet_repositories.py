"""WalletRepository and WalletEventRepository on one SQLAlchemy async connection (Core, no
ORM): the `wallets` table and its audit trail in `wallet_events`, inserted together.
"""

from typing import Any, Protocol

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.conventions import from_db, to_db
from adapters.sql.delivery_repository import OutboxWriter
from adapters.sql.event_rows import event_of_row, event_row
from adapters.sql.tables import users, wallet_events, wallets
from domain.audit import WalletEvent
from domain.errors import DomainError, PublicKeyTaken, UserNotFound
from domain.model import Wallet, WalletStatus

_FOREIGN_KEY_VIOLATION = "23503"


# Hot-path statements, built once: SQLAlchemy then finds their compiled form by a memoized cache
# key instead of rebuilding and re-hashing a statement tree on every request.
WALLET_BY_USER = select(wallets).where(wallets.c.userId == bindparam("user_id"))
WALLET_BY_USER_FOR_UPDATE = WALLET_BY_USER.with_for_update()
WALLET_BY_EXISTING_USER = (
    select(users.c.id.label("knownUserId"), *wallets.c)
    .select_from(users.outerjoin(wallets, wallets.c.userId == users.c.id))
    .where(users.c.id == bindparam("user_id"))
)
_WALLET_VALUES: dict[str, Any] = {
    name: bindparam(name)
    for name in ("id", "userId", "publicKey", "encryptedKey", "createdAt", "updatedAt")
}
EVENT_COLUMNS = [c.name for c in wallet_events.c if c.name != "walletId"]


def _insert_wallet(dialect_insert: Any) -> Any:
    return (
        dialect_insert(wallets)
        .values(_WALLET_VALUES)
        .on_conflict_do_nothing(index_elements=[wallets.c.userId])
        .returning(wallets.c.id)
    )


INSERT_WALLET = {
    "postgresql": _insert_wallet(postgresql.insert),
    "sqlite": _insert_wallet(sqlite.insert),
}
_inserted_wallet = INSERT_WALLET["postgresql"].cte("inserted_wallet")
INSERT_WALLET_WITH_EVENT = (
    insert(wallet_events)
    .from_select(
        ["walletId", *EVENT_COLUMNS],
        select(
            _inserted_wallet.c.id,
            *(
                bindparam(f"event_{name}", type_=wallet_events.c[name].type)
                for name in EVENT_COLUMNS
            ),
        ),
    )
    .returning(wallet_events.c.walletId)
)
_INSERT_EVENT = insert(wallet_events)


class SqlWalletRepository:
    """Wallets in the `wallets` table; its unique "userId" decides who wins a race. A wallet's
    first event queues its webhook deliveries through `outbox`.
    """

    def __init__(self, connection: AsyncConnection, outbox: OutboxWriter) -> None:
        self._connection = connection
        self._outbox = outbox

    async def get_by_user(self, user_id: str, *, for_update: bool = False) -> Wallet | None:
        # SQLite ignores FOR UPDATE: its BEGIN IMMEDIATE already holds the write lock.
        statement = WALLET_BY_USER_FOR_UPDATE if for_update else WALLET_BY_USER
        result = await self._connection.execute(statement, {"user_id": user_id})
        row = result.mappings().first()
        return None if row is None else wallet_of(row)

    async def get_by_existing_user(self, user_id: str) -> Wallet | None:
        # From users, LEFT JOIN wallets: no row, no user; a row without a wallet id, no wallet.
        result = await self._connection.execute(WALLET_BY_EXISTING_USER, {"user_id": user_id})
        return wallet_of_existing_user(user_id, result.mappings().first())

    async def page_for_update(self, after_id: str | None, limit: int) -> list[Wallet]:
        statement = select(wallets).order_by(wallets.c.id).limit(limit).with_for_update()
        if after_id is not None:
            statement = statement.where(wallets.c.id > after_id)
        return [wallet_of(row) for row in (await self._connection.execute(statement)).mappings()]

    async def read_ids(self, after_id: str | None, limit: int) -> list[str]:
        statement = select(wallets.c.id).order_by(wallets.c.id).limit(limit)
        if after_id is not None:
            statement = statement.where(wallets.c.id > after_id)
        return list((await self._connection.scalars(statement)).all())

    async def update(self, wallet: Wallet) -> None:
        statement = (
            update(wallets)
            .where(wallets.c.id == wallet.id)
            .values(
                encryptedKey=wallet.encrypted_key,
                status=str(wallet.status),
                exportedAt=None if wallet.exported_at is None else to_db(wallet.exported_at),
                updatedAt=to_db(wallet.updated_at),
            )
        )
        await self._connection.execute(statement)

    async def add(self, wallet: Wallet, created: WalletEvent | None = None) -> Wallet:
        values = wallet_values(wallet)
        try:
            inserted = await self._insert_with_event(values, created)
        except IntegrityError as error:
            raise refusal_of_insert(wallet.user_id, error.orig) from None
        if inserted:
            if created is not None:
                await self._outbox.queue(created)
            return wallet
        return await self._stored_instead(wallet)

    async def _stored_instead(self, wallet: Wallet) -> Wallet:
        """The user's wallet, stored first, when `wallet` was not inserted for its user."""
        stored = await self.get_by_user(wallet.user_id)
        if stored is None:
            raise UserNotFound(wallet.user_id)
        return stored

    async def _insert_with_event(self, values: dict[str, Any], created: WalletEvent | None) -> bool:
        """Whether the wallet was inserted (with its first event, if given). On PostgreSQL one
        statement does both: the event's INSERT selects from the wallet's INSERT ... RETURNING,
        so it happens only if the wallet row did.
        """
        dialect = self._connection.dialect.name
        if created is not None and dialect == "postgresql":
            event = {f"event_{name}": value for name, value in event_row(created).items()}
            statement = INSERT_WALLET_WITH_EVENT
            return (await self._connection.execute(statement, values | event)).first() is not None
        inserted = (await self._connection.execute(INSERT_WALLET[dialect], values)).first()
        if inserted is None or created is None:
            return inserted is not None
        await self._connection.execute(_INSERT_EVENT, event_row(created))
        return True


class SqlWalletEventRepository:
    """The audit trail in `wallet_events`, keyed by ("walletId", sequence); each event appended
    queues its webhook deliveries through `outbox`.
    """

    def __init__(self, connection: AsyncConnection, outbox: OutboxWriter) -> None:
        self._connection = connection
        self._outbox = outbox

    async def last(self, wallet_id: str) -> WalletEvent | None:
        statement = (
            select(wallet_events)
            .where(wallet_events.c.walletId == wallet_id)
            .order_by(wallet_events.c.sequence.desc())
            .limit(1)
        )
        row = (await self._connection.execute(statement)).first()
        return None if row is None else event_of_row(row)

    async def append(self, event: WalletEvent) -> None:
        await self._connection.execute(insert(wallet_events).values(**event_row(event)))
        await self._outbox.queue(event)

    async def after(self, wallet_id: str, after_sequence: int, limit: int) -> list[WalletEvent]:
        statement = (
            select(wallet_events)
            .where(wallet_events.c.walletId == wallet_id)
            .where(wallet_events.c.sequence > after_sequence)
            .order_by(wallet_events.c.sequence)
            .limit(limit)
        )
        return [event_of_row(row) for row in await self._connection.execute(statement)]


class Columns(Protocol):
    """A row's values by column name: a SQLAlchemy RowMapping or an asyncpg Record."""

    def __getitem__(self, name: str, /) -> Any: ...


def refusal_of_insert(user_id: str, driver_error: object) -> DomainError:
    """What a wallet's INSERT refused by a constraint means: the user is gone (foreign key), or
    the public key is another wallet's (unique).
    """
    code = getattr(driver_error, "sqlstate", None) or getattr(driver_error, "pgcode", None)
    if code == _FOREIGN_KEY_VIOLATION or "FOREIGN KEY" in str(driver_error):
        return UserNotFound(user_id)
    return PublicKeyTaken()


def wallet_values(wallet: Wallet) -> dict[str, Any]:
    """The values of a new wallet's row, by column name."""
    return {
        "id": wallet.id,
        "userId": wallet.user_id,
        "publicKey": wallet.public_key,
        "encryptedKey": wallet.encrypted_key,
        "createdAt": to_db(wallet.created_at),
        "updatedAt": to_db(wallet.updated_at),
    }


def wallet_of_existing_user(user_id: str, row: Columns | None) -> Wallet | None:
    """The wallet of a row of WALLET_BY_EXISTING_USER: no row, no user (UserNotFound); a row
    without a wallet id, no wallet.
    """
    if row is None:
        raise UserNotFound(user_id)
    return None if row["id"] is None else wallet_of(row)


def wallet_of(row: Columns) -> Wallet:
    """The wallet in a row of `wallets`, by column name."""
    exported_at = row["exportedAt"]
    return Wallet(
        id=row["id"],
        user_id=row["userId"],
        public_key=row["publicKey"],
        encrypted_key=row["encryptedKey"],
        created_at=from_db(row["createdAt"]),
        updated_at=from_db(row["updatedAt"]),
        status=WalletStatus(row["status"]),
        exported_at=None if exported_at is None else from_db(exported_at),
    )
