"""The break-glass escrow: each wallet's seed sealed to the offline recovery key.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wallet_escrows",
        sa.Column(
            "walletId",
            sa.Text(),
            sa.ForeignKey("wallets.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("recoveryKeyId", sa.Text(), nullable=False),
        sa.Column("sealedSeed", sa.Text(), nullable=False),
        sa.Column("createdAt", sa.DateTime(timezone=False), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("wallet_escrows")
