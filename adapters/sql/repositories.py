"""The repositories of users, wallets, wallet events and escrows, and the conventions they share,
gathered under their earlier module name. Each lives in the module of its tables:
`user_repository`, `wallet_repositories` (wallets and their events), `escrow_repository`; the
shared timestamp and INSERT helpers in `conventions`.
"""

from adapters.sql.conventions import from_db, insert_for, to_db
from adapters.sql.escrow_repository import SqlEscrowRepository
from adapters.sql.user_repository import SqlUserRepository
from adapters.sql.wallet_repositories import SqlWalletEventRepository, SqlWalletRepository

__all__ = [
    "SqlEscrowRepository",
    "SqlUserRepository",
    "SqlWalletEventRepository",
    "SqlWalletRepository",
    "from_db",
    "insert_for",
    "to_db",
]
