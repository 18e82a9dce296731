"""Signing policies: each wallet's own policy, and what each wallet signed away (for daily
limits).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wallet_policies",
        sa.Column(
            "walletId",
            sa.Text(),
            sa.ForeignKey("wallets.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("updatedAt", sa.DateTime(timezone=False), nullable=False),
    )
    op.create_table(
        "wallet_spending",
        sa.Column(
            "walletId",
            sa.Text(),
            sa.ForeignKey("wallets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("signedAt", sa.DateTime(timezone=False), nullable=False),
        sa.Column("asset", sa.Text(), nullable=False),
        sa.Column("amount", sa.Text(), nullable=False),
    )
    op.create_index("wallet_spending_wallet_signed", "wallet_spending", ["walletId", "signedAt"])


def downgrade() -> None:
    op.drop_index("wallet_spending_wallet_signed", table_name="wallet_spending")
    op.drop_table("wallet_spending")
    op.drop_table("wallet_policies")
