"""Example payloads of the wallet operations: create one, a wallet (active or suspended)."""

import msgspec

from entrypoints.http.examples.common import (
    EXAMPLE_CREATED_AT,
    EXAMPLE_KEY,
    EXAMPLE_PUBLIC_KEY,
    EXAMPLE_USER_ID,
)
from entrypoints.http.schemas.wallets import CreateWalletBody, WalletBody

CREATE_WALLET_EXAMPLE = CreateWalletBody(user_id=EXAMPLE_USER_ID, encryption_key=EXAMPLE_KEY)
WALLET_EXAMPLE = WalletBody(
    wallet_id="019cebab-8995-79cb-8e59-2e30c8333017",
    public_key=EXAMPLE_PUBLIC_KEY,
    user_id=EXAMPLE_USER_ID,
    created_at=EXAMPLE_CREATED_AT,
    status="active",
)
SUSPENDED_WALLET_EXAMPLE = msgspec.structs.replace(WALLET_EXAMPLE, status="suspended")
