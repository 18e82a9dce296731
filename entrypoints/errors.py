"""The one table of errors. Each domain error has one row: the problem it is answered with (HTTP
status, problem type, title, whether the answer carries `Retry-After`), what it means, and the
CLI's exit code. The HTTP responses, every route's documented responses and the CLI's messages
and exit codes all read this table; nothing else decides them.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus

from domain.errors import (
    AccountAlreadyOnNetwork,
    AccountNotOnNetwork,
    BadSequence,
    DomainError,
    EnvelopeTampered,
    EscrowNotFound,
    EscrowUnreadable,
    ExportDisabled,
    Field,
    IdempotencyKeyReused,
    InsufficientFunds,
    InvalidInput,
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
    UserConflict,
    UserNotFound,
    WalletExistsUnderAnotherKey,
    WalletKeyMismatch,
    WalletNotFound,
    WalletSuspended,
)

PROBLEM_BASE = "https://wallet-orchestrator.dev/problems/"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@dataclass(frozen=True, slots=True)
class ProblemType:
    """How the edges report one kind of failure. `detail`, when set, is said instead of the
    error's own message (which may hold what only a log should hold). `members` gives the
    extension members an answer carries besides the standard ones.
    """

    status: HTTPStatus
    slug: str
    title: str
    meaning: str
    retry_after: bool = False
    detail: str | None = None
    exit_code: int = EXIT_FAILED
    members: Callable[[DomainError], Mapping[str, object]] | None = None

    @property
    def type(self) -> str:
        """The problem type URI."""
        return PROBLEM_BASE + self.slug


INVALID_INPUT = ProblemType(
    HTTPStatus.BAD_REQUEST,
    "invalid-input",
    "Bad Request",
    "A value is missing, malformed or over its limits.",
)
STORE_UNAVAILABLE = ProblemType(
    HTTPStatus.SERVICE_UNAVAILABLE,
    "database-unavailable",
    "Service Unavailable",
    "The database is unavailable (with 'Retry-After').",
    retry_after=True,
)
ENVELOPE_TAMPERED = ProblemType(
    HTTPStatus.INTERNAL_SERVER_ERROR,
    "envelope-tampered",
    "Internal Server Error",
    "The wallet's stored encrypted seed fails its integrity check; nothing was returned or "
    "changed.",
    detail="the stored encrypted key of this wallet is damaged or was altered; nothing was "
    "returned or changed",
)
SEALING_FAILED = ProblemType(
    HTTPStatus.INTERNAL_SERVER_ERROR,
    "sealing-failed",
    "Internal Server Error",
    "The newly sealed seed did not open back to its public key; nothing was stored.",
)


def _violation_members(error: DomainError) -> Mapping[str, object]:
    if not isinstance(error, PolicyViolation):
        return {}
    return {"rule": error.rule, "operation": error.operation}


WRONG_KEY = ProblemType(
    HTTPStatus.FORBIDDEN,
    "wrong-encryption-key",
    "Forbidden",
    "The encryptionKey does not open this wallet (or, for an activation, the sponsor's key does "
    "not open the sponsor's: the detail says which).",
)

DOMAIN_PROBLEMS: dict[type[DomainError], ProblemType] = {
    InvalidInput: INVALID_INPUT,
    UserNotFound: ProblemType(
        HTTPStatus.NOT_FOUND, "user-not-found", "Not Found", "No user has this id."
    ),
    WalletNotFound: ProblemType(
        HTTPStatus.NOT_FOUND, "wallet-not-found", "Not Found", "No such user, or no wallet yet."
    ),
    EscrowNotFound: ProblemType(
        HTTPStatus.NOT_FOUND,
        "escrow-not-found",
        "Not Found",
        "The wallet has no escrow: no recovery key was configured when it was created or "
        "re-sealed, and `recovery escrow` has not covered it since.",
    ),
    EscrowUnreadable: ProblemType(
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "escrow-unreadable",
        "Internal Server Error",
        "An escrow does not open with the recovery key rebuilt from the shares (another key, "
        "damaged, or not the wallet's seed); nothing was written.",
    ),
    UserConflict: ProblemType(
        HTTPStatus.CONFLICT, "user-conflict", "Conflict", "The email or the id is another user's."
    ),
    # A creation replay under another key is a conflict (a subclass: found first), while any
    # other operation with a key that does not open the wallet is refused.
    WalletExistsUnderAnotherKey: ProblemType(
        HTTPStatus.CONFLICT,
        "wallet-key-mismatch",
        "Conflict",
        "The user's wallet exists, sealed under another encryptionKey.",
    ),
    WalletKeyMismatch: WRONG_KEY,
    SponsorKeyMismatch: WRONG_KEY,
    WalletSuspended: ProblemType(
        HTTPStatus.LOCKED, "wallet-suspended", "Locked", "The wallet is suspended."
    ),
    ExportDisabled: ProblemType(
        HTTPStatus.FORBIDDEN,
        "export-disabled",
        "Forbidden",
        "Exports are disabled in this deployment (WALLET_ALLOW_EXPORT is not true).",
    ),
    EnvelopeTampered: ENVELOPE_TAMPERED,
    SealingFailed: SEALING_FAILED,
    StoreUnavailable: STORE_UNAVAILABLE,
    KeyDerivationBusy: ProblemType(
        HTTPStatus.SERVICE_UNAVAILABLE,
        "busy",
        "Service Unavailable",
        "Every key-derivation slot stayed busy until the deadline (with 'Retry-After').",
        retry_after=True,
    ),
    KmsUnavailable: ProblemType(
        HTTPStatus.SERVICE_UNAVAILABLE,
        "kms-unavailable",
        "Service Unavailable",
        "The key-management backend (HSM or KMS) is unreachable, too slow or sealed; nothing was "
        "changed (with 'Retry-After').",
        retry_after=True,
    ),
    KmsRefused: ProblemType(
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "kms-refused",
        "Internal Server Error",
        "The key-management backend refused the service (permission, missing key, a key version "
        "disabled); an operator must act. Nothing was changed.",
        detail="the key-management backend refused this request; nothing was returned or "
        "changed, and an operator has been told",
    ),
    KmsKeyMismatch: ProblemType(
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "kms-key-mismatch",
        "Internal Server Error",
        "The wallet's second factor was wrapped by a key-management key this deployment does "
        "not have (neither the encryptionKey nor the envelope is at fault).",
        detail="this wallet's second factor was wrapped by a key-management key that this "
        "deployment does not have; nothing was returned or changed",
    ),
    PolicyViolation: ProblemType(
        HTTPStatus.FORBIDDEN,
        "policy-violation",
        "Forbidden",
        "The wallet's signing policy refuses the transaction: `rule` names the first rule broken "
        "(foreign-source, foreign-fee-bump, operation-not-allowed, destination-not-allowed, "
        "per-transaction-limit, daily-limit) and `operation` the 0-based index of the operation "
        "(null for a rule of the whole transaction). Nothing was signed; a sign_refused event "
        "was recorded.",
        members=_violation_members,
    ),
    IdempotencyKeyReused: ProblemType(
        HTTPStatus.UNPROCESSABLE_ENTITY,
        "idempotency-key-reused",
        "Unprocessable Entity",
        "This token used the Idempotency-Key for another request (method, path or body "
        "differ); nothing was run.",
    ),
    RequestInProgress: ProblemType(
        HTTPStatus.CONFLICT,
        "request-in-progress",
        "Conflict",
        "The first request with this Idempotency-Key is still running (past WALLET_DB_TIMEOUT "
        "of waiting for it); nothing was run (with 'Retry-After').",
        retry_after=True,
    ),
    Lockout: ProblemType(
        HTTPStatus.BAD_REQUEST,
        "lockout",
        "Bad Request",
        "After the change the signers' total weight could not reach the high threshold (or no "
        "signer would have weight): the account could never change its signers again. Refused "
        "unless allowLockout is true.",
    ),
    BadSequence: ProblemType(
        HTTPStatus.CONFLICT,
        "bad-sequence",
        "Conflict",
        "The network refused the transaction: its sequence number is not the source account's "
        "next one (another transaction used it first); rebuild with the current sequence.",
    ),
    AccountAlreadyOnNetwork: ProblemType(
        HTTPStatus.CONFLICT,
        "account-exists",
        "Conflict",
        "The account to be activated exists on the network already (it was activated before); "
        "nothing was signed or submitted.",
    ),
    InsufficientFunds: ProblemType(
        HTTPStatus.UNPROCESSABLE_ENTITY,
        "insufficient-funds",
        "Unprocessable Entity",
        "The network refused the transaction: an account lacks the balance or reserve it needs "
        "(the result codes say which operation).",
    ),
    NetworkRejected: ProblemType(
        HTTPStatus.BAD_GATEWAY,
        "network-rejected",
        "Bad Gateway",
        "The network refused the transaction for another reason (the result codes say which).",
    ),
    AccountNotOnNetwork: ProblemType(
        HTTPStatus.UNPROCESSABLE_ENTITY,
        "account-not-on-network",
        "Unprocessable Entity",
        "The account whose sequence number was to be read does not exist on the network.",
    ),
    NetworkUnavailable: ProblemType(
        HTTPStatus.SERVICE_UNAVAILABLE,
        "network-unavailable",
        "Service Unavailable",
        "The Stellar network (WALLET_HORIZON_URL) is unreachable or did not answer in time; the "
        "transaction may still land, and the same request with the same sequence number is then "
        "answered as submitted (with 'Retry-After').",
        retry_after=True,
    ),
}
"""Errors not in the table (a broken key generator, say) are internal errors."""


def problem_type_of(error: BaseException) -> ProblemType | None:
    """The row of the error's class, or of its nearest base class that has one."""
    for kind in type(error).__mro__:
        row = DOMAIN_PROBLEMS.get(kind)
        if row is not None:
            return row
    return None


def detail_of(error: DomainError, name: Callable[[Field], str]) -> str:
    """What the edge says about the error: its row's fixed detail, or its message, with the
    field of an InvalidInput called by `name` (the edge's own word for it).
    """
    row = problem_type_of(error)
    if row is not None and row.detail is not None:
        return row.detail
    if isinstance(error, InvalidInput):
        return f"{name(error.field)}: {error.reason}"
    return str(error)
