"""The bodies of wallets: creating one, and a wallet."""

from datetime import datetime
from typing import Literal

import msgspec

from application.results import WalletResult
from entrypoints.http.schemas.fields import Id, Key


class CreateWalletBody(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    """Create (or fetch) the wallet of `userId`; `encryptionKey` is never stored or echoed."""

    user_id: Id
    encryption_key: Key

    def __repr__(self) -> str:
        return f"CreateWalletBody(user_id={self.user_id!r}, encryption_key=<redacted>)"


class WalletBody(msgspec.Struct, rename="camel"):
    """A wallet: never its encrypted or plain seed."""

    wallet_id: str
    public_key: str
    user_id: str
    created_at: datetime
    status: Literal["active", "suspended"]

    @classmethod
    def of(cls, result: WalletResult) -> "WalletBody":
        return cls(
            result.wallet_id,
            result.public_key,
            result.user_id,
            result.created_at,
            "suspended" if result.status == "suspended" else "active",
        )
