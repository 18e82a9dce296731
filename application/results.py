"""Result value objects returned by the use cases (never entities with secrets, never ORM rows)."""

from dataclasses import dataclass
from datetime import datetime

from domain.model import User, Wallet, WalletStatus


@dataclass(frozen=True, slots=True)
class WalletResult:
    """A wallet as callers may see it: no encrypted seed. `created` is False on a replay."""

    wallet_id: str
    user_id: str
    public_key: str
    created_at: datetime
    status: WalletStatus = WalletStatus.ACTIVE
    created: bool = False

    @classmethod
    def of(cls, wallet: Wallet, *, created: bool = False) -> "WalletResult":
        return cls(
            wallet.id,
            wallet.user_id,
            wallet.public_key,
            wallet.created_at,
            wallet.status,
            created,
        )


@dataclass(frozen=True, slots=True)
class UserResult:
    """A user as callers see it. `created` is False when the same user already existed."""

    id: str
    email: str
    created_at: datetime
    created: bool = False

    @classmethod
    def of(cls, user: User, *, created: bool = False) -> "UserResult":
        return cls(user.id, user.email, user.created_at, created)
