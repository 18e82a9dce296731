"""Domain errors. Messages name ids and fields, never a key, seed or token.

Import them from here; each lives in the module of its area: `input` (Field, InvalidInput,
Lockout), `wallets` (users, wallets and escrows: found, opened, usable), `store`,
`key_management` (key derivation and the KMS), `network` (the Stellar network), `policy` (the
signing policy and idempotency keys); `base` holds DomainError.
"""

from domain.errors.base import DomainError
from domain.errors.input import Field, InvalidInput, Lockout
from domain.errors.key_management import (
    KeyDerivationBusy,
    KmsKeyMismatch,
    KmsRefused,
    KmsUnavailable,
)
from domain.errors.network import (
    AccountAlreadyOnNetwork,
    AccountNotOnNetwork,
    BadSequence,
    InsufficientFunds,
    NetworkRefusal,
    NetworkRejected,
    NetworkUnavailable,
)
from domain.errors.policy import IdempotencyKeyReused, PolicyViolation, RequestInProgress
from domain.errors.store import StoreUnavailable
from domain.errors.wallets import (
    EnvelopeTampered,
    EscrowNotFound,
    EscrowUnreadable,
    ExportDisabled,
    PublicKeyTaken,
    SealingFailed,
    SponsorKeyMismatch,
    UserConflict,
    UserNotFound,
    WalletExistsUnderAnotherKey,
    WalletKeyMismatch,
    WalletNotFound,
    WalletSuspended,
)

__all__ = [
    "AccountAlreadyOnNetwork",
    "AccountNotOnNetwork",
    "BadSequence",
    "DomainError",
    "EnvelopeTampered",
    "EscrowNotFound",
    "EscrowUnreadable",
    "ExportDisabled",
    "Field",
    "IdempotencyKeyReused",
    "InsufficientFunds",
    "InvalidInput",
    "KeyDerivationBusy",
    "KmsKeyMismatch",
    "KmsRefused",
    "KmsUnavailable",
    "Lockout",
    "NetworkRefusal",
    "NetworkRejected",
    "NetworkUnavailable",
    "PolicyViolation",
    "PublicKeyTaken",
    "RequestInProgress",
    "SealingFailed",
    "SponsorKeyMismatch",
    "StoreUnavailable",
    "UserConflict",
    "UserNotFound",
    "WalletExistsUnderAnotherKey",
    "WalletKeyMismatch",
    "WalletNotFound",
    "WalletSuspended",
]
