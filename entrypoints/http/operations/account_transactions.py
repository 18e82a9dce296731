"""What the OpenAPI document says of the account transactions beyond their handlers'
signatures: the activation and the signer change, built here and signed by the wallets held here,
and the inspection of a transaction on its own (no wallet).
"""

from http import HTTPStatus

from domain.errors import (
    AccountAlreadyOnNetwork,
    AccountNotOnNetwork,
    BadSequence,
    Field,
    InsufficientFunds,
    InvalidInput,
    Lockout,
    NetworkRejected,
    NetworkUnavailable,
    PolicyViolation,
    SponsorKeyMismatch,
)
from entrypoints.http import examples
from entrypoints.http.docs import NamedExample, Success, example, field_error, protected, raised
from entrypoints.http.idempotency import REPLAY
from entrypoints.http.operations.common import INVALID_NETWORK, INVALID_XDR, OPENS_THE_WALLET
from entrypoints.http.schemas.account_transactions import AccountTransactionBody, InspectionBody
from entrypoints.scopes import Scope

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
    INVALID_NETWORK,
    _NO_SUBMISSION,
    _OTHER_NETWORK,
    *OPENS_THE_WALLET,
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
    INVALID_NETWORK,
    _NO_SUBMISSION,
    _OTHER_NETWORK,
    *OPENS_THE_WALLET,
    PolicyViolation,
    *_NETWORK_ANSWERS,
    requests=(example("add-cosigner", "Add a co-signer: 2 of 2", examples.SIGNERS_EXAMPLE),),
    path_id=True,
    keyed=REPLAY,
)


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
    INVALID_XDR,
    INVALID_NETWORK,
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
