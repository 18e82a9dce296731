"""What the OpenAPI document says of the custody operations on a wallet (sign, rotate the key,
export, suspend, resume, its events) beyond their handlers' signatures: successes with examples,
the errors each can raise, request examples.
"""

from http import HTTPStatus

from domain.errors import (
    ExportDisabled,
    Field,
    InvalidInput,
    PolicyViolation,
    SealingFailed,
    WalletNotFound,
)
from entrypoints.http import examples
from entrypoints.http.docs import Success, example, field_error, protected, raised, wallet_success
from entrypoints.http.idempotency import REPLAY, RERUN
from entrypoints.http.operations.common import INVALID_NETWORK, INVALID_XDR, OPENS_THE_WALLET
from entrypoints.http.schemas.custody import EventPageBody, SealedSecretBody, SignedBody
from entrypoints.scopes import Scope

SIGN = protected(
    Scope.SIGN,
    {
        HTTPStatus.OK: Success(
            SignedBody,
            "The envelope with the wallet's signature added.",
            (example("signed", "A payment signed by the wallet", examples.SIGNED_EXAMPLE),),
        )
    },
    INVALID_XDR,
    INVALID_NETWORK,
    *OPENS_THE_WALLET,
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
    *OPENS_THE_WALLET,
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
    *OPENS_THE_WALLET,
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
