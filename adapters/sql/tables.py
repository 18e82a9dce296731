"""The seed's schema as SQLAlchemy Core tables (camelCase column names, as Prisma made them)."""

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    text,
)

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
    # Added by migration 0003 (not in the seed):
    Column("status", Text, nullable=False, server_default="active"),
    Column("exportedAt", DateTime(timezone=False), nullable=True),
)

wallet_events = Table(
    "wallet_events",
    metadata,
    Column("walletId", Text, ForeignKey("wallets.id", ondelete="CASCADE"), primary_key=True),
    Column("sequence", Integer, primary_key=True),
    Column("type", Text, nullable=False),
    Column("occurredAt", DateTime(timezone=False), nullable=False),
    Column("tokenId", Text, nullable=True),
    Column("details", Text, nullable=False),
    Column("prevHash", Text, nullable=False),
    Column("hash", Text, nullable=False),
)

deployment_settings = Table(
    "wallet_orchestrator_settings",
    metadata,
    Column("name", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

# Added by migration 0004:
wallet_escrows = Table(
    "wallet_escrows",
    metadata,
    Column("walletId", Text, ForeignKey("wallets.id", ondelete="CASCADE"), primary_key=True),
    Column("recoveryKeyId", Text, nullable=False),
    Column("sealedSeed", Text, nullable=False),
    Column("createdAt", DateTime(timezone=False), nullable=False),
)

# Added by migration 0005:
wallet_policies = Table(
    "wallet_policies",
    metadata,
    Column("walletId", Text, ForeignKey("wallets.id", ondelete="CASCADE"), primary_key=True),
    Column("document", Text, nullable=False),
    Column("updatedAt", DateTime(timezone=False), nullable=False),
)

wallet_spending = Table(
    "wallet_spending",
    metadata,
    Column("walletId", Text, ForeignKey("wallets.id", ondelete="CASCADE"), nullable=False),
    Column("signedAt", DateTime(timezone=False), nullable=False),
    Column("asset", Text, nullable=False),
    Column("amount", Text, nullable=False),
    Index("wallet_spending_wallet_signed", "walletId", "signedAt"),
)

# Added by migration 0006:
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("tokenId", Text, primary_key=True),
    Column("key", Text, primary_key=True),
    Column("requestHash", Text, nullable=False),
    Column("startedAt", DateTime(timezone=False), nullable=False),
    Column("expiresAt", DateTime(timezone=False), nullable=False),
    Column("status", Integer, nullable=True),
    Column("body", LargeBinary, nullable=True),
    Column("mediaType", Text, nullable=True),
    Index("idempotency_keys_expires", "expiresAt"),
)

# Added by migration 0007:
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("endpoint", Text, primary_key=True),
    Column("walletId", Text, primary_key=True),
    Column("sequence", Integer, primary_key=True),
    Column("eventType", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("nextAttemptAt", DateTime(timezone=False), nullable=False),
    Column("createdAt", DateTime(timezone=False), nullable=False),
    Column("leaseUntil", DateTime(timezone=False), nullable=True),
    Column("claimedBy", Text, nullable=True),
    Column("lastOutcome", Text, nullable=True),
    ForeignKeyConstraint(
        ["walletId", "sequence"],
        ["wallet_events.walletId", "wallet_events.sequence"],
        ondelete="CASCADE",
    ),
    Index(
        "webhook_deliveries_due",
        "nextAttemptAt",
        postgresql_where=text("state = 'pending'"),
        sqlite_where=text("state = 'pending'"),
    ),
    Index("webhook_deliveries_event", "walletId", "sequence"),
)
