"""The seed's schema as SQLAlchemy Core tables (camelCase column names, as Prisma made them)."""

from sqlalchemy import Column, DateTime, ForeignKey, MetaData, Table, Text

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", Text, primary_key=True),
    Column("email", Text, nullable=False, unique=True),
    Column("createdAt", DateTime(timezone=False), nullable=False),
    Column("updatedAt", DateTime(timezone=False), nullable=False),
)

wallets = Table(
    "wallets",
    metadata,
    Column("id", Text, primary_key=True),
    Column(
        "userId",
        Text,
        ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    Column("publicKey", Text, nullable=False, unique=True),
    Column("encryptedKey", Text, nullable=False),
    Column("createdAt", DateTime(timezone=False), nullable=False),
    Column("updatedAt", DateTime(timezone=False), nullable=False),
)

deployment_settings = Table(
    "wallet_orchestrator_settings",
    metadata,
    Column("name", Text, primary_key=True),
    Column("value", Text, nullable=False),
)
