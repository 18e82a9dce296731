"""Custody operations: wallet status and export time, and the per-wallet audit trail.

The seed's columns stay as they are; `wallets` only gains two columns with defaults. Wallets that
exist already (a database taken over from the seed service) get a backfilled `created` event so
that every wallet's chain starts with one.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from domain.audit import EventType, WalletEvent

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("wallets") as batch:
        batch.add_column(sa.Column("status", sa.Text(), nullable=False, server_default="active"))
        batch.add_column(sa.Column("exportedAt", sa.DateTime(timezone=False), nullable=True))
    events = op.create_table(
        "wallet_events",
        sa.Column(
            "walletId",
            sa.Text(),
            sa.ForeignKey("wallets.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("sequence", sa.Integer(), primary_key=True),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("occurredAt", sa.DateTime(timezone=False), nullable=False),
        sa.Column("tokenId", sa.Text(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prevHash", sa.Text(), nullable=False),
        sa.Column("hash", sa.Text(), nullable=False),
    )
    _backfill_created_events(events)


def _backfill_created_events(events: sa.Table) -> None:
    connection = op.get_bind()
    wallets = sa.table("wallets", sa.column("id"), sa.column("createdAt"))
    rows = connection.execute(sa.select(wallets.c.id, wallets.c.createdAt)).all()
    backfilled = []
    for wallet_id, _created_at in rows:
        event = WalletEvent.after(None, wallet_id, EventType.CREATED, None, {"backfilled": "true"})
        backfilled.append(
            {
                "walletId": event.wallet_id,
                "sequence": event.sequence,
                "type": str(event.type),
                "occurredAt": event.occurred_at.replace(tzinfo=None),
                "tokenId": None,
                "details": '{"backfilled":"true"}',
                "prevHash": event.prev_hash,
                "hash": event.hash,
            }
        )
    if backfilled:
        op.bulk_insert(events, backfilled)


def downgrade() -> None:
    op.drop_table("wallet_events")
    with op.batch_alter_table("wallets") as batch:
        batch.drop_column("exportedAt")
        batch.drop_column("status")
