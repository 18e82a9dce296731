"""An example instance of each domain error a route can raise, for the OpenAPI document."""

from domain.errors import (
    AccountAlreadyOnNetwork,
    AccountNotOnNetwork,
    BadSequence,
    DomainError,
    EnvelopeTampered,
    EscrowNotFound,
    EscrowUnreadable,
    ExportDisabled,
    IdempotencyKeyReused,
    InsufficientFunds,
    KeyDerivationBusy,
    KmsKeyMismatch,
    KmsRefused,
    KmsUnavailable,
    Lockout,
    NetworkRejected,
    NetworkUnavailable,
    PolicyViolation,
    RequestInProgress,
    SealingFailed,
    SponsorKeyMismatch,
    StoreUnavailable,
    UserNotFound,
    WalletExistsUnderAnotherKey,
    WalletKeyMismatch,
    WalletNotFound,
    WalletSuspended,
)
from entrypoints.http.examples.common import (
    EXAMPLE_ACCOUNT,
    EXAMPLE_SPONSOR_ACCOUNT,
    EXAMPLE_SPONSOR_ID,
    EXAMPLE_USER_ID,
)

ERROR_EXAMPLES: dict[type[DomainError], DomainError] = {
    error.__class__: error
    for error in (
        UserNotFound(EXAMPLE_USER_ID),
        WalletNotFound(EXAMPLE_USER_ID),
        WalletExistsUnderAnotherKey(EXAMPLE_USER_ID),
        WalletKeyMismatch(EXAMPLE_USER_ID),
        WalletSuspended(EXAMPLE_USER_ID),
        ExportDisabled(),
        EnvelopeTampered("key check or tag mismatch"),
        SealingFailed(),
        StoreUnavailable("OSError"),
        KeyDerivationBusy(),
        KmsUnavailable("transit", "ConnectError"),
        KmsRefused("transit", "wallets", "permission denied"),
        KmsKeyMismatch("transit", "no key version v3-5f1c2a9e0b7d"),
        SponsorKeyMismatch(EXAMPLE_SPONSOR_ID),
        Lockout(1, 2),
        PolicyViolation(EXAMPLE_USER_ID, "operation-not-allowed", 0),
        IdempotencyKeyReused(),
        RequestInProgress(),
        AccountNotOnNetwork(EXAMPLE_SPONSOR_ACCOUNT),
        AccountAlreadyOnNetwork(EXAMPLE_ACCOUNT),
        EscrowNotFound(EXAMPLE_USER_ID),
        EscrowUnreadable("it is not sealed to this recovery key, or is damaged"),
        BadSequence(),
        InsufficientFunds(
            "tx_failed", ("op_success", "op_success", "op_low_reserve", "op_success")
        ),
        NetworkRejected("tx_bad_auth"),
        NetworkUnavailable("ConnectError"),
    )
}
"""The example each route shows of an error it names (InvalidInput and UserConflict, whose
wording depends on the route, are shown by the route's own examples)."""
