"""Webhook deliveries: the transactional outbox. One row per audit event and endpoint, queued in
the event's transaction, removed once delivered; failed ones stay until requeued.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_deliveries",
        sa.Column("endpoint", sa.Text(), primary_key=True),
        sa.Column("walletId", sa.Text(), primary_key=True),
        sa.Column("sequence", sa.Integer(), primary_key=True),
        sa.Column("eventType", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("nextAttemptAt", sa.DateTime(timezone=False), nullable=False),
        sa.Column("createdAt", sa.DateTime(timezone=False), nullable=False),
        sa.Column("leaseUntil", sa.DateTime(timezone=False), nullable=True),
        sa.Column("claimedBy", sa.Text(), nullable=True),
        sa.Column("lastOutcome", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["walletId", "sequence"],
            ["wallet_events.walletId", "wallet_events.sequence"],
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "webhook_deliveries_due",
        "webhook_deliveries",
        ["nextAttemptAt"],
        postgresql_where=sa.text("state = 'pending'"),
        sqlite_where=sa.text("state = 'pending'"),
    )
    op.create_index("webhook_deliveries_event", "webhook_deliveries", ["walletId", "sequence"])


def downgrade() -> None:
    op.drop_index("webhook_deliveries_event", table_name="webhook_deliveries")
    op.drop_index("webhook_deliveries_due", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
