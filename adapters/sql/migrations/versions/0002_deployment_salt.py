"""A settings table holding the deployment's random Argon2id salt (envelope v1).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import base64
import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    settings = op.create_table(
        "wallet_orchestrator_settings",
        sa.Column("name", sa.Text(), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    salt = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode("ascii")
    op.bulk_insert(settings, [{"name": "kdf_salt", "value": salt}])


def downgrade() -> None:
    op.drop_table("wallet_orchestrator_settings")
