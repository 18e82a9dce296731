"""What the OpenAPI document says of each operation beyond its handler's signature: its
successes with examples, the errors it can raise, and examples of its request body. The
controllers' route decorators read these.
"""

from http import HTTPStatus

from domain.errors import (
    AccountAlreadyOnNetwork,
    AccountNotOnNetwork,
    BadSequence,
    EnvelopeTampered,
    EscrowNotFound,
    ExportDisabled,
    Field,
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
from entrypoints.http import examples
from entrypoints.http.docs import (
    RATE_LIMITED_EXAMPLE,
    UNAUTHORIZED_EXAMPLE,
    NamedExample,
    OperationDocs,
    Success,
    example,
    field_error,
    protected,
    raised,
    scope_example,
    wallet_success,
)
from entrypoints.http.idempotency import REPLAY, RERUN
from entrypoints.http.schemas import (
    AccountTransactionBody,
    EscrowBody,
    EventPageBody,
    InspectionBody,
    SealedSecretBody,
    SignedBody,
    StatusBody,
    UserBody,
)
from entrypoints.http.schemas.policy import PolicyBody
from entrypoints.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from entrypoints.scopes import Scope

# Users

_USER = example("user", "A user", examples.USER_EXAMPLE)

REGISTER_USER = protected(
    Scope.CREATE,
    {
        HTTPStatus.CREATED: Success(
            UserBody,
            "The user was created.",
            (
                _USER,
                example("generated-id", "With a generated id", examples.GENERATED_ID_USER_EXAMPLE),
            ),
        ),
        HTTPStatus.OK: Success(UserBody, "This same user exists already.", (_USER,)),
    },
    field_error(
        "id: Expected `str` of length <= 128",
        "A field is missing, empty, of the wrong type or over its limits, e.g. an id over 128 "
        "characters.",
    ),
    raised(UserConflict(Field.EMAIL), name="email-taken"),
    raised(UserConflict(Field.NEW_USER_ID), name="id-taken"),
    requests=(
        example("with-id", "Register ada@example.com as user-42", examples.REGISTER_USER_EXAMPLE),
        example("without-id", "Register with a generated id", {"email": "grace@example.com"}),
    ),
    keyed=REPLAY,
)
READ_USER = protected(
    Scope.READ,
    {HTTPStatus.OK: Success(UserBody, "The user.", (_USER,))},
    UserNotFound,
    path_id=True,
)

# Wallets

_USES_THE_KEYS = (KeyDerivationBusy, KmsUnavailable, KmsRefused, KmsKeyMismatch)
"""What every operation that stretches the caller's key and calls the key-management backend
(WALLET_KMS) to wrap or unwrap the wallet's share can raise."""

CREATE_WALLET = protected(
    Scope.CREATE,
    {
        HTTPStatus.CREATED: wallet_success("The wallet was created."),
        HTTPStatus.OK: wallet_success("The user's wallet exists and the key opens it (a replay)."),
    },
    field_error(
        "encryptionKey: Expected `str` of length >= 16",
        "A field is missing, empty, of the wrong type or over its limits, e.g. an encryptionKey "
        "under 16 characters.",
    ),
    UserNotFound,
    WalletExistsUnderAnotherKey,
    EnvelopeTampered,
    SealingFailed,
    *_USES_THE_KEYS,
    requests=(example("create", "Create user-42's wallet", examples.CREATE_WALLET_EXAMPLE),),
    keyed=REPLAY,
)
GET_WALLET = protected(
    Scope.READ, {HTTPStatus.OK: wallet_success("The user's wallet.")}, WalletNotFound, path_id=True
)

# Custody operations on a wallet

_OPENS_THE_WALLET = (
    WalletNotFound,
    WalletKeyMismatch,
    WalletSuspended,
    EnvelopeTampered,
    *_USES_THE_KEYS,
)
"""What every operation that opens the wallet with the caller's key can raise."""

_INVALID_XDR = raised(
    InvalidInput(Field.TRANSACTION_XDR, "is not a Stellar transaction envelope in XDR"),
    "The transactionXdr is not a transaction envelope in canonical base64 XDR.",
    name="invalid-input-xdr",
)
_INVALID_NETWORK = raised(
    InvalidInput(Field.NETWORK_PASSPHRASE, "is not one of the allowed networks"),
    "The networkPassphrase is not one of WALLET_NETWORKS.",
    name="invalid-input-network",
)
SIGN = protected(
    Scope.SIGN,
    {
        HTTPStatus.OK: Success(
            SignedBody,
            "The envelope with the wallet's signature added.",
            (example("signed", "A payment signed by the wallet", examples.SIGNED_EXAMPLE),),
        )
    },
    _INVALID_XDR,
    _INVALID_NETWORK,
    *_OPENS_THE_WALLET,
    PolicyViolation,
    requests=(example("testnet-payment", "A payment on the test network", examples.SIGN_EXAMPLE),),
    keyed=REPLAY,
)
ROTATE_KEY = protected(
    Scope.MANAGE,
    {
        HTTPStatus.OK: wallet_success(
            "The wallet, now sealed under newEncryptionKey (same publicKey)."
        )
    },
    field_error(
        "newEncryptionKey: Expected `str` of length >= 16",
        "A key is missing, or under 16 or over 1024 characters.",
    ),
    *_OPENS_THE_WALLET,
    SealingFailed,
    requests=(example("rotate", "Move to next year's key", examples.ROTATE_KEY_EXAMPLE),),
    keyed=REPLAY,
)
EXPORT = protected(
    Scope.MANAGE,
    {
        HTTPStatus.OK: Success(
            SealedSecretBody,
            "The seed in a libsodium sealed box to recipientPublicKey.",
            (example("sealed", "The sealed seed, base64", examples.SEALED_SECRET_EXAMPLE),),
        )
    },
    raised(
        InvalidInput(Field.RECIPIENT_PUBLIC_KEY, "must be 32 bytes of base64"),
        "The recipientPublicKey is not 32 bytes of canonical standard base64.",
    ),
    ExportDisabled,
    *_OPENS_THE_WALLET,
    requests=(example("export", "Seal the seed to a recovery key", examples.EXPORT_EXAMPLE),),
    keyed=RERUN,
)
_EMPTY = (example("empty", "No fields", {}),)
SUSPEND = protected(
    Scope.MANAGE,
    {
        HTTPStatus.OK: wallet_success(
            "The wallet, suspended (or already so).",
            example("suspended", "A suspended wallet", examples.SUSPENDED_WALLET_EXAMPLE),
        )
    },
    WalletNotFound,
    requests=_EMPTY,
    keyed=REPLAY,
)
RESUME = protected(
    Scope.MANAGE,
    {HTTPStatus.OK: wallet_success("The wallet, active again (or already so).")},
    WalletNotFound,
    requests=_EMPTY,
    keyed=REPLAY,
)
EVENTS = protected(
    Scope.READ,
    {
        HTTPStatus.OK: Success(
            EventPageBody,
            "A page of the wallet's events, oldest first.",
            (
                example(
                    "first-page", "The first two events; more follow", examples.EVENT_PAGE_EXAMPLE
                ),
            ),
        )
    },
    field_error("cursor: Expected `int` >= 0", "The cursor is negative or the limit not 1 to 100."),
    WalletNotFound,
    path_id=True,
)

# Account set-up: transactions built here and signed by the wallets held here

_NETWORK_ANSWERS = (
    AccountNotOnNetwork,
    BadSequence,
    InsufficientFunds,
    NetworkRejected,
    NetworkUnavailable,
)
"""What an operation that submits a transaction (`"submit": true`) can raise."""
_NO_SUBMISSION = raised(
    InvalidInput(Field.SUBMIT, "needs a Stellar network: none is configured"),
    "`submit` is true but no Stellar network is configured (WALLET_HORIZON_URL).",
    name="invalid-input-submit",
)
_OTHER_NETWORK = raised(
    InvalidInput(Field.NETWORK_PASSPHRASE, "is not the passphrase of the configured network"),
    "`submit` is true but the networkPassphrase is not that of the network at WALLET_HORIZON_URL.",
    name="invalid-input-network-mismatch",
)
_ACCOUNT_TRANSACTION = AccountTransactionBody


def _account_transaction(meaning: str, *examples: NamedExample) -> Success:
    return Success(_ACCOUNT_TRANSACTION, meaning, examples)


ACTIVATE = protected(
    Scope.SIGN,
    {
        HTTPStatus.OK: _account_transaction(
            "The activation, signed by the sponsor (when held here) and the wallet; "
            "`submitted` when it was submitted.",
            example(
                "signed",
                "Signed by the treasury and by user-42's wallet",
                examples.ACTIVATED_EXAMPLE,
            ),
            example(
                "submitted",
                "Signed and applied by the network",
                examples.ACTIVATED_SUBMITTED_EXAMPLE,
            ),
        )
    },
    field_error(
        "trustlines[0].code: Expected `str` of length <= 12",
        "A field is missing or of the wrong type or size, e.g. an asset code over 12 "
        "characters, more than 10 trustlines, a baseFee under 100.",
    ),
    raised(
        InvalidInput(Field.TRUSTLINES, "[0].issuer is not a Stellar account key (G…)"),
        "An issuer or the sponsor's publicKey is not an account key, an asset code is not 1 to "
        "12 letters or digits, a limit is not an amount, or an asset is listed twice.",
        name="invalid-input-trustlines",
    ),
    raised(
        InvalidInput(Field.SPONSOR, "is the wallet itself"),
        "The sponsor is the wallet being activated, or is not exactly one of userId with "
        "encryptionKey, or publicKey.",
        name="invalid-input-sponsor",
    ),
    raised(
        InvalidInput(Field.SPONSOR_SEQUENCE, "is required unless the transaction is submitted"),
        "No sponsorSequence, and the transaction is not to be submitted; or it is not a "
        "sequence number.",
        name="invalid-input-sequence",
    ),
    _INVALID_NETWORK,
    _NO_SUBMISSION,
    _OTHER_NETWORK,
    *_OPENS_THE_WALLET,
    raised(
        examples.ERROR_EXAMPLES[SponsorKeyMismatch],
        "The sponsor's encryptionKey does not open the sponsor's wallet.",
        name="wrong-sponsor-key",
    ),
    PolicyViolation,
    *_NETWORK_ANSWERS,
    AccountAlreadyOnNetwork,
    requests=(
        example("held-sponsor", "The treasury's wallet sponsors", examples.ACTIVATION_EXAMPLE),
        example(
            "sponsor-elsewhere",
            "A sponsor held elsewhere (it adds its signature itself)",
            examples.ACTIVATION_ELSEWHERE_EXAMPLE,
        ),
        example(
            "submit",
            "Read the sponsor's sequence from the network and submit",
            examples.ACTIVATION_SUBMIT_EXAMPLE,
        ),
    ),
    path_id=True,
    keyed=REPLAY,
)
CHANGE_SIGNERS = protected(
    Scope.SIGN,
    {
        HTTPStatus.OK: _account_transaction(
            "The SetOptions transaction, signed by the wallet; `submitted` when it was submitted.",
            example(
                "signed", "A co-signer added, thresholds 1/2/2", examples.SIGNERS_CHANGED_EXAMPLE
            ),
        )
    },
    field_error(
        "add[0].weight: Expected `int` <= 255",
        "A field is missing or of the wrong type or size, e.g. a weight or threshold over 255.",
    ),
    raised(
        InvalidInput(Field.ADD, "[0].key is not a Stellar account key (G…)"),
        "A signer key is not an account key, is named twice, is the account's own, or is "
        "removed without being a current signer; or the request changes nothing.",
        name="invalid-input-signers",
    ),
    raised(
        InvalidInput(Field.SEQUENCE, "is required unless the transaction is submitted"),
        "No sequence, and the transaction is not to be submitted; or it is not a sequence number.",
        name="invalid-input-sequence",
    ),
    Lockout,
    _INVALID_NETWORK,
    _NO_SUBMISSION,
    _OTHER_NETWORK,
    *_OPENS_THE_WALLET,
    PolicyViolation,
    *_NETWORK_ANSWERS,
    requests=(example("add-cosigner", "Add a co-signer: 2 of 2", examples.SIGNERS_EXAMPLE),),
    path_id=True,
    keyed=REPLAY,
)

# Signing policies

_POLICY_IN_FORCE = "The signing policy now in force for the wallet, and where it comes from."
GET_POLICY = protected(
    Scope.MANAGE,
    {
        HTTPStatus.OK: Success(
            PolicyBody,
            "The signing policy in force for the wallet, and where it comes from.",
            (
                example("own", "The wallet's own policy", examples.WALLET_POLICY_EXAMPLE),
                example(
                    "built-in",
                    "No policy anywhere: no foreign source or fee bump, anything else",
                    examples.BUILT_IN_POLICY_EXAMPLE,
                ),
            ),
        )
    },
    WalletNotFound,
    path_id=True,
)
SET_POLICY = protected(
    Scope.MANAGE,
    {
        HTTPStatus.OK: Success(
            PolicyBody,
            _POLICY_IN_FORCE,
            (example("own", "The wallet's own policy", examples.WALLET_POLICY_EXAMPLE),),
        )
    },
    field_error(
        "allowedOperation: is not a member of this body",
        "A member is unknown (a misspelt restriction is never taken as none), or a list is over "
        "its limit.",
        name="invalid-input-member",
    ),
    raised(
        InvalidInput(Field.POLICY, "allowedOperations[0] is not a Stellar operation name"),
        "A member is of the wrong type (no number or text for true or false), an operation name "
        "is not one of stellar-sdk's (in camelCase), a destination or issuer is not an account "
        "key, an amount is not a decimal with at most 7 places, or an asset is listed twice.",
        name="invalid-input-policy",
    ),
    WalletNotFound,
    requests=(
        example(
            "payments",
            "Payments to the treasury only, within limits",
            examples.PAYMENTS_POLICY_EXAMPLE,
        ),
        example("daily-limit", "At most 250 XLM a day", examples.DAILY_LIMIT_EXAMPLE),
    ),
    path_id=True,
    keyed=REPLAY,
)
REMOVE_POLICY = protected(
    Scope.MANAGE,
    {
        HTTPStatus.OK: Success(
            PolicyBody,
            "The policy now in force (the deployment's default or the built-in one).",
            (
                example(
                    "built-in",
                    "Back to the built-in policy",
                    examples.BUILT_IN_POLICY_EXAMPLE,
                ),
            ),
        )
    },
    WalletNotFound,
    path_id=True,
    keyed=REPLAY,
)

# Recovery

ESCROW = protected(
    Scope.MANAGE,
    {
        HTTPStatus.OK: Success(
            EscrowBody,
            "The wallet's escrow: its seed sealed to the offline recovery key.",
            (example("escrow", "Sealed to recovery key rk-70de…", examples.ESCROW_EXAMPLE),),
        )
    },
    WalletNotFound,
    EscrowNotFound,
    path_id=True,
)

# Transactions, on their own: no wallet

INSPECT = protected(
    Scope.READ,
    {
        HTTPStatus.OK: Success(
            InspectionBody,
            "Who of the signers signed, their weight, the threshold needed and whether it is met; "
            "for a fee-bump envelope the inner transaction's, and the outer one's in feeBump.",
            (
                example(
                    "fee-bump",
                    "A payment its source signed, in a fee bump its fee payer signed",
                    examples.INSPECTION_EXAMPLE,
                ),
            ),
        )
    },
    _INVALID_XDR,
    _INVALID_NETWORK,
    raised(
        InvalidInput(Field.SIGNERS, "[1].key is listed twice"),
        "A signer key is not an account key ('G…') or is listed twice.",
        name="invalid-input-signers",
    ),
    field_error(
        "thresholds.high: Expected `int` <= 255",
        "A field is missing or of the wrong type, or a weight or threshold is not 0 to 255.",
    ),
    requests=(example("fee-bump", "A fee-bump payment", examples.INSPECT_EXAMPLE),),
    store=False,
)

# Operations

HEALTH = OperationDocs(
    {
        HTTPStatus.OK: Success(
            StatusBody, "The process is serving.", (example("ok", "Serving", StatusBody("ok")),)
        )
    },
    (),
)
READY = OperationDocs(
    {
        HTTPStatus.OK: Success(
            StatusBody, "The database answers.", (example("ready", "Ready", StatusBody("ready")),)
        )
    },
    (raised(examples.ERROR_EXAMPLES[StoreUnavailable]),),
)
METRICS = OperationDocs(
    {
        HTTPStatus.OK: Success(
            str,
            "Every worker's metrics in the Prometheus text format.",
            (example("metrics", "An excerpt", examples.METRICS_EXAMPLE),),
            media_type=METRICS_CONTENT_TYPE,
        )
    },
    (UNAUTHORIZED_EXAMPLE, RATE_LIMITED_EXAMPLE, scope_example(Scope.READ)),
    scope=Scope.READ,
)
