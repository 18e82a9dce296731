"""A new wallet stored by one PostgreSQL statement, atomic on its own: the wallet (unless its user
has one: ON CONFLICT DO NOTHING) and, from what that inserted, its first event, the event's
webhook deliveries and the wallet's escrow, as data-modifying CTEs, their foreign keys checked at
the statement's end. The same statement reads the wallet the user has already, if any: a user
who has one gets it back in the one round trip.
"""

from typing import Any

from sqlalchemy import ARRAY, Text, bindparam, func, insert, literal_column, select, true
from sqlalchemy.sql import Select

from adapters.sql.conventions import to_db
from adapters.sql.delivery_repository import PENDING
from adapters.sql.event_rows import event_row
from adapters.sql.pg_direct import DirectStatement
from adapters.sql.tables import users, wallet_escrows, wallet_events, wallets, webhook_deliveries
from adapters.sql.wallet_repositories import EVENT_COLUMNS, INSERT_WALLET, wallet_values
from domain.audit import WalletEvent
from domain.model import Wallet
from domain.recovery import Escrow


def _creation(*, escrow: bool, deliveries: bool) -> Select[Any]:
    """The statement. Its row, when the user exists: "insertedId", the new wallet's id if it was
    inserted, else null; and the columns of the wallet the user had before the statement began,
    if any (all null when it was inserted, or when the wallet that stopped it was committed
    during the statement, after its snapshot).
    """
    new_wallet = INSERT_WALLET["postgresql"].cte("new_wallet")
    event_values = [
        bindparam(f"event_{name}", type_=wallet_events.c[name].type) for name in EVENT_COLUMNS
    ]
    new_event = (
        insert(wallet_events)
        .from_select(["walletId", *EVENT_COLUMNS], select(new_wallet.c.id, *event_values))
        .returning(wallet_events.c.walletId, wallet_events.c.sequence, wallet_events.c.type)
        .cte("new_event")
    )
    existing = wallets.alias("existing")
    statement = (
        select(select(new_event.c.walletId).scalar_subquery().label("insertedId"), *existing.c)
        .select_from(users.outerjoin(existing, existing.c.userId == users.c.id))
        .where(users.c.id == bindparam("userId"))
    )
    if deliveries:
        endpoint = func.unnest(bindparam("endpoints", type_=ARRAY(Text))).alias("endpoint")
        at = bindparam("event_occurredAt", type_=wallet_events.c.occurredAt.type)
        rows = select(
            endpoint.column,
            new_event.c.walletId,
            new_event.c.sequence,
            new_event.c.type,
            literal_column(f"'{PENDING}'"),
            literal_column("0"),
            at,
            at,
        ).select_from(new_event.join(endpoint, true()))
        columns = ["endpoint", "walletId", "sequence", "eventType", "state", "attempts"]
        queued = insert(webhook_deliveries).from_select(
            [*columns, "nextAttemptAt", "createdAt"], rows
        )
        statement = statement.add_cte(queued.cte("new_deliveries"))
    if escrow:
        names = ["recoveryKeyId", "sealedSeed", "createdAt"]
        escrowed = select(
            new_wallet.c.id,
            *(bindparam(f"escrow_{name}", type_=wallet_escrows.c[name].type) for name in names),
        )
        stored = insert(wallet_escrows).from_select(["walletId", *names], escrowed)
        statement = statement.add_cte(stored.cte("new_escrow"))
    return statement


_CREATIONS = {
    (escrow, deliveries): DirectStatement.of(_creation(escrow=escrow, deliveries=deliveries))
    for escrow in (False, True)
    for deliveries in (False, True)
}


def creation(
    wallet: Wallet, created: WalletEvent, escrow: Escrow | None, endpoints: tuple[str, ...]
) -> tuple[DirectStatement, dict[str, Any]]:
    """The statement that stores the wallet with `created`, its deliveries to `endpoints` and
    `escrow`, and its values.
    """
    values = wallet_values(wallet) | {
        f"event_{name}": value for name, value in event_row(created).items()
    }
    if endpoints:
        values["endpoints"] = list(endpoints)
    if escrow is not None:
        values |= {
            "escrow_recoveryKeyId": escrow.recovery_key_id,
            "escrow_sealedSeed": escrow.sealed_seed,
            "escrow_createdAt": to_db(escrow.created_at),
        }
    return _CREATIONS[escrow is not None, bool(endpoints)], values
