"""What several operations can raise: the key-management errors of every operation that uses
the caller's key, the errors of every operation that opens a wallet with it, and the refusals of
a transaction envelope and of its network passphrase.
"""

from domain.errors import (
    EnvelopeTampered,
    Field,
    InvalidInput,
    KeyDerivationBusy,
    KmsKeyMismatch,
    KmsRefused,
    KmsUnavailable,
    WalletKeyMismatch,
    WalletNotFound,
    WalletSuspended,
)
from entrypoints.http.docs import raised

USES_THE_KEYS = (KeyDerivationBusy, KmsUnavailable, KmsRefused, KmsKeyMismatch)
"""What every operation that stretches the caller's key and calls the key-management backend
(WALLET_KMS) to wrap or unwrap the wallet's share can raise."""

OPENS_THE_WALLET = (
    WalletNotFound,
    WalletKeyMismatch,
    WalletSuspended,
    EnvelopeTampered,
    *USES_THE_KEYS,
)
"""What every operation that opens the wallet with the caller's key can raise."""

INVALID_XDR = raised(
    InvalidInput(Field.TRANSACTION_XDR, "is not a Stellar transaction envelope in XDR"),
    "The transactionXdr is not a transaction envelope in canonical base64 XDR.",
    name="invalid-input-xdr",
)
INVALID_NETWORK = raised(
    InvalidInput(Field.NETWORK_PASSPHRASE, "is not one of the allowed networks"),
    "The networkPassphrase is not one of WALLET_NETWORKS.",
    name="invalid-input-network",
)
