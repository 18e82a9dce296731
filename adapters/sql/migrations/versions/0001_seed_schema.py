"""The seed's users and wallets tables (kept as they are when a seed database is taken over).

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    existing = sa.inspect(op.get_bind())
    if not existing.has_table("users"):
        op.create_table(
            "users",
            sa.Column("id", sa.Text(), primary_key=True),
            sa.Column("email", sa.Text(), nullable=False),
            sa.Column("createdAt", sa.DateTime(timezone=False), nullable=False),
            sa.Column("updatedAt", sa.DateTime(timezone=False), nullable=False),
            sa.UniqueConstraint("email", name="users_email_key"),
        )
    if not existing.has_table("wallets"):
        op.create_table(
            "wallets",
            sa.Column("id", sa.Text(), primary_key=True),
            sa.Column(
                "userId",
                sa.Text(),
                sa.ForeignKey("users.id", ondelete="CASCADE", name="wallets_userId_fkey"),
                nullable=False,
            ),
            sa.Column("publicKey", sa.Text(), nullable=False),
            sa.Column("encryptedKey", sa.Text(), nullable=False),
            sa.Column("createdAt", sa.DateTime(timezone=False), nullable=False),
            sa.Column("updatedAt", sa.DateTime(timezone=False), nullable=False),
            sa.UniqueConstraint("userId", name="wallets_userId_key"),
            sa.UniqueConstraint("publicKey", name="wallets_publicKey_key"),
        )


def downgrade() -> None:
    op.drop_table("wallets")
    op.drop_table("users")
