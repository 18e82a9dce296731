"""Domain errors. Messages name ids and fields, never a key, seed or token."""

from enum import StrEnum


class Field(StrEnum):
    """A request value that a domain rule can refuse. The edges name it in their own words (a
    JSON member, a command-line option, an environment variable); the domain never does.
    """

    USER_ID = "user_id"
    NEW_USER_ID = "id"
    EMAIL = "email"
    ENCRYPTION_KEY = "encryption_key"
    NEW_ENCRYPTION_KEY = "new_encryption_key"
    TRANSACTION_XDR = "transaction_xdr"
    NETWORK_PASSPHRASE = "network_passphrase"  # noqa: S105 - a field name, not a secret
    RECIPIENT_PUBLIC_KEY = "recipient_public_key"
    RECOVERY_PUBLIC_KEY = "recovery_public_key"
    RECOVERY_SHARES = "recovery_shares"
    ESCROW_FILE = "escrow_file"
    POLICY = "policy"
    SIGNERS = "signers"
    THRESHOLDS = "thresholds"
    SPONSOR = "sponsor"
    SPONSOR_USER_ID = "sponsor.user_id"
    SPONSOR_PUBLIC_KEY = "sponsor.public_key"
    SPONSOR_ENCRYPTION_KEY = "sponsor.encryption_key"
    SPONSOR_SEQUENCE = "sponsor_sequence"
    SEQUENCE = "sequence"
    TRUSTLINES = "trustlines"
    IDEMPOTENCY_KEY = "idempotency_key"
    BASE_FEE = "base_fee"
    VALID_UNTIL = "valid_until"
    CURRENT_SIGNERS = "current_signers"
    CURRENT_THRESHOLDS = "current_thresholds"
    ADD = "add"
    REMOVE = "remove"
    MASTER_WEIGHT = "master_weight"
    SUBMIT = "submit"
    CURSOR = "cursor"
    LIMIT = "limit"


class DomainError(Exception):
    """Base of every error the domain and use cases raise on purpose."""


class InvalidInput(DomainError):
    """A request value breaks a domain rule (length, shape)."""

    def __init__(self, field: Field, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class Lockout(DomainError):
    """A change of an account's signers would leave signers whose total weight cannot reach the
    account's high threshold (or no signer with weight): the account could never change its
    signers again.
    """

    def __init__(self, weight: int, needed: int) -> None:
        super().__init__(
            f"after this change the signers' total weight ({weight}) cannot reach the high "
            f"threshold ({needed}): the account could never change its signers or thresholds "
            "again, unless a lockout is explicitly allowed"
        )
        self.weight = weight
        self.needed = needed


class UserNotFound(DomainError):
    """No user has this id."""

    def __init__(self, user_id: str) -> None:
        super().__init__(f"user {user_id!r} does not exist")
        self.user_id = user_id


class WalletNotFound(DomainError):
    """The user has no wallet (or does not exist)."""

    def __init__(self, user_id: str) -> None:
        super().__init__(f"user {user_id!r} has no wallet")
        self.user_id = user_id


class EscrowNotFound(DomainError):
    """The user's wallet has no escrow (none was configured when it was last sealed)."""

    def __init__(self, user_id: str) -> None:
        super().__init__(f"the wallet of user {user_id!r} has no escrow")
        self.user_id = user_id


class EscrowUnreadable(DomainError):
    """An escrow does not open with the recovery key at hand: sealed to another key, damaged,
    or holding a seed that is not the wallet's.
    """

    def __init__(self, reason: str, wallet_id: str | None = None) -> None:
        where = "an escrow" if wallet_id is None else f"the escrow of wallet {wallet_id}"
        super().__init__(f"{where} cannot be used: {reason}")
        self.wallet_id = wallet_id
        self.reason = reason


class UserConflict(DomainError):
    """The email or id of a registration already belongs to another user."""

    def __init__(self, *fields: Field) -> None:
        super().__init__(f"this {' or '.join(fields)} already belongs to another user")
        self.fields = fields


class WalletKeyMismatch(DomainError):
    """The user's wallet exists but was encrypted under a different encryption key."""

    def __init__(self, user_id: str) -> None:
        super().__init__(f"the wallet of user {user_id!r} exists under a different encryption key")
        self.user_id = user_id


class EnvelopeTampered(DomainError):
    """A stored envelope is damaged or was tampered with: not a wrong key, a broken envelope.
    `wallet_id` names the wallet once a use case knows it.
    """

    def __init__(self, reason: str, wallet_id: str | None = None) -> None:
        super().__init__(f"stored encrypted key failed its integrity check: {reason}")
        self.reason = reason
        self.wallet_id = wallet_id


class SealingFailed(DomainError):
    """A freshly sealed seed did not open back to its public key: nothing was stored."""

    def __init__(self) -> None:
        super().__init__(
            "the new wallet's encrypted seed failed its self-check; nothing was stored"
        )


class PublicKeyTaken(DomainError):
    """A generated public key is already stored: the key generator is broken."""

    def __init__(self) -> None:
        super().__init__("generated public key is already in use")


class WalletExistsUnderAnotherKey(WalletKeyMismatch):
    """A creation replay came with a key that does not open the user's existing wallet."""


class SponsorKeyMismatch(WalletKeyMismatch):
    """The sponsor's wallet exists but the sponsor's encryption key does not open it."""

    def __init__(self, user_id: str) -> None:
        DomainError.__init__(
            self, f"the sponsor's encryption key does not open the wallet of user {user_id!r}"
        )
        self.user_id = user_id


class WalletSuspended(DomainError):
    """The wallet is suspended: it can be read, not used (sign, rotate, export)."""

    def __init__(self, user_id: str) -> None:
        super().__init__(f"the wallet of user {user_id!r} is suspended")
        self.user_id = user_id


class ExportDisabled(DomainError):
    """Exporting seeds is turned off in this deployment (WALLET_ALLOW_EXPORT)."""

    def __init__(self) -> None:
        super().__init__("exporting wallets is disabled in this deployment")


class StoreUnavailable(DomainError):
    """The store cannot do the work now (unreachable, too busy, deadline passed, connection lost):
    nothing was changed, and the same request may succeed later. `cause` names the kind of the
    underlying failure (a class name, never a message: those may quote values).
    """

    def __init__(self, cause: str) -> None:
        super().__init__("the database is unavailable; retry later")
        self.cause = cause


class KeyDerivationBusy(DomainError):
    """Every key-derivation slot of this process stayed taken until the request's deadline:
    nothing was changed, and the same request may succeed later.
    """

    def __init__(self) -> None:
        super().__init__("the service is busy deriving keys; retry later")


class KmsUnavailable(DomainError):
    """The key-management backend (HSM or KMS) cannot answer now: unreachable, too slow for the
    deadline, sealed. Nothing was changed, and the same request may succeed later. `cause` names
    the kind of failure (never a message: those may quote values).
    """

    def __init__(self, backend: str, cause: str) -> None:
        super().__init__(f"the key-management backend ({backend}) is unavailable; retry later")
        self.backend = backend
        self.cause = cause


class KmsRefused(DomainError):
    """The key-management backend answered but refused: no permission, no such key, a key
    version disabled by policy. Retrying will not help until an operator acts.
    """

    def __init__(self, backend: str, key_label: str, reason: str) -> None:
        super().__init__(
            f"the key-management backend ({backend}) refused the request for key "
            f"{key_label!r}: {reason}"
        )
        self.backend = backend
        self.key_label = key_label
        self.reason = reason


class KmsKeyMismatch(DomainError):
    """A v2 envelope's share was wrapped by a backend key that this deployment does not have
    (another token or transit key, a key that was deleted and made again, another backend):
    neither the caller's key nor the envelope is at fault. `wallet_id` names the wallet once a
    use case knows it.
    """

    def __init__(self, backend: str, reason: str, wallet_id: str | None = None) -> None:
        super().__init__(f"the wallet's key share was wrapped by another {backend} key: {reason}")
        self.backend = backend
        self.reason = reason
        self.wallet_id = wallet_id


class NetworkUnavailable(DomainError):
    """The Stellar network (its Horizon server) is unreachable or did not answer in time.
    Nothing was recorded as submitted; the same request may succeed later. `cause` names the kind
    of failure, never a message.
    """

    def __init__(self, cause: str) -> None:
        super().__init__("the Stellar network is unavailable; retry later")
        self.cause = cause


class AccountNotOnNetwork(DomainError):
    """The account whose sequence number was to be read from the network does not exist there
    (it was never created, or was merged away).
    """

    def __init__(self, account_id: str) -> None:
        super().__init__(f"account {account_id} does not exist on the network")
        self.account_id = account_id


class AccountAlreadyOnNetwork(DomainError):
    """The account to be created exists on the network already (it was activated before)."""

    def __init__(self, account_id: str) -> None:
        super().__init__(f"account {account_id} exists on the network already")
        self.account_id = account_id


class NetworkRefusal(DomainError):
    """The network refused a transaction. `transaction` and `operations` are the result codes it
    gave (for example 'tx_failed' and ['op_success', 'op_low_reserve']).
    """

    def __init__(self, summary: str, transaction: str, operations: tuple[str, ...]) -> None:
        codes = ", ".join((transaction, *operations))
        super().__init__(f"{summary} ({codes})")
        self.transaction = transaction
        self.operations = operations


class BadSequence(NetworkRefusal):
    """The transaction's sequence number is not the next one of its source account."""

    def __init__(self, transaction: str = "tx_bad_seq", operations: tuple[str, ...] = ()) -> None:
        super().__init__(
            "the sequence number is not the next one of the source account",
            transaction,
            operations,
        )


class InsufficientFunds(NetworkRefusal):
    """An account lacks the balance or the reserve the transaction needs."""

    def __init__(self, transaction: str, operations: tuple[str, ...] = ()) -> None:
        super().__init__("an account lacks the balance or reserve needed", transaction, operations)


class NetworkRejected(NetworkRefusal):
    """Any other refusal of the transaction by the network."""

    def __init__(self, transaction: str, operations: tuple[str, ...] = ()) -> None:
        super().__init__("the network rejected the transaction", transaction, operations)


class PolicyViolation(DomainError):
    """The signing policy in force for a user's wallet refuses what it was asked to sign:
    `rule` (a domain.policy.Rule value) is the first rule broken, `operation` the 0-based index
    of the operation that breaks it (None for a rule of the whole transaction). Nothing was
    signed.
    """

    def __init__(self, user_id: str, rule: str, operation: int | None) -> None:
        where = "" if operation is None else f" (operation {operation})"
        super().__init__(
            f"the signing policy of user {user_id!r}'s wallet refuses this transaction: "
            f"{rule}{where}"
        )
        self.user_id = user_id
        self.rule = rule
        self.operation = operation


class IdempotencyKeyReused(DomainError):
    """The token used this idempotency key for another request (method, path or body differ):
    nothing was run.
    """

    def __init__(self) -> None:
        super().__init__(
            "this Idempotency-Key was used for a different request; use a new key for a new request"
        )


class RequestInProgress(DomainError):
    """The first request with this idempotency key is still running: nothing was run, and the
    same request may get its answer later.
    """

    def __init__(self) -> None:
        super().__init__(
            "a request with this Idempotency-Key is still in progress; retry later for its answer"
        )
