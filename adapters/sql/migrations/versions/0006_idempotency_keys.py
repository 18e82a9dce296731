"""Idempotency keys: each API token's keys, the keyed hash of the request each was first used
for, and its answer, kept for WALLET_IDEMPOTENCY_TTL_SECONDS.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("tokenId", sa.Text(), primary_key=True),
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("requestHash", sa.Text(), nullable=False),
        sa.Column("startedAt", sa.DateTime(timezone=False), nullable=False),
        sa.Column("expiresAt", sa.DateTime(timezone=False), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("mediaType", sa.Text(), nullable=True),
    )
    op.create_index("idempotency_keys_expires", "idempotency_keys", ["expiresAt"])


def downgrade() -> None:
    op.drop_index("idempotency_keys_expires", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
