"""The custody operations on an existing wallet: sign, rotate the key, export, suspend, resume,
and its audit trail.
"""

from http import HTTPStatus

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter

from application.export_wallet import ExportRequest, ExportWallet
from application.rotate_encryption_key import RotateEncryptionKey, RotateKeyRequest
from application.set_wallet_status import ResumeWallet, SuspendWallet
from application.sign_transaction import SignRequest, SignTransaction
from application.wallet_events import MAX_PAGE, ListWalletEvents
from domain.errors import ExportDisabled
from domain.secrets import EncryptionKey
from entrypoints.http.openapi import (
    BAD_PATH_ID,
    ENVELOPE_TAMPERED,
    SEALING_FAILED,
    SUSPENDED,
    WALLET_NOT_FOUND,
    WRONG_KEY,
    Problem,
    Success,
    example,
    field_error,
    protected,
    wallet_success,
)
from entrypoints.http.problems import AnyRequest
from entrypoints.http.routes import UserIdPath
from entrypoints.http.schemas import (
    EVENT_PAGE_EXAMPLE,
    EXPORT_EXAMPLE,
    ROTATE_KEY_EXAMPLE,
    SEALED_SECRET_EXAMPLE,
    SIGN_EXAMPLE,
    SIGNED_EXAMPLE,
    SUSPENDED_WALLET_EXAMPLE,
    EmptyBody,
    EventPageBody,
    ExportBody,
    RotateKeyBody,
    SealedSecretBody,
    SignBody,
    SignedBody,
    WalletBody,
)

_KEYED = (WALLET_NOT_FOUND, WRONG_KEY, SUSPENDED, ENVELOPE_TAMPERED)
"""What every operation that opens the wallet with the caller's key can answer."""

SIGN = protected(
    {
        HTTPStatus.OK: Success(
            SignedBody,
            "The envelope with the wallet's signature added.",
            (example("signed", "A payment signed by the wallet", SIGNED_EXAMPLE),),
        )
    },
    Problem(
        HTTPStatus.BAD_REQUEST,
        "invalid-input",
        "The transactionXdr is not a transaction envelope in canonical base64 XDR.",
        "transactionXdr: is not a Stellar transaction envelope in XDR",
        name="invalid-input-xdr",
    ),
    Problem(
        HTTPStatus.BAD_REQUEST,
        "invalid-input",
        "The networkPassphrase is not one of WALLET_NETWORKS.",
        "networkPassphrase: is not one of the allowed networks",
        name="invalid-input-network",
    ),
    *_KEYED,
    requests=(example("testnet-payment", "A payment on the test network", SIGN_EXAMPLE),),
)


@post(
    "/wallets/user/{user_id:str}/sign",
    summary="Sign a Stellar transaction with the user's wallet",
    tags=["custody"],
    status_code=200,
    responses=SIGN.responses,
    operation_class=SIGN.operation_class,
)
async def sign(
    request: AnyRequest,
    data: JSONBody[SignBody],
    sign_transaction: NamedDependency[SignTransaction],
    user_id: str = UserIdPath,
) -> SignedBody:
    with EncryptionKey.from_text(data.encryption_key) as key:
        result = await sign_transaction(
            SignRequest(user_id, key, data.transaction_xdr, data.network_passphrase, request.user)
        )
    return SignedBody.of(result)


ROTATE_KEY = protected(
    {
        HTTPStatus.OK: wallet_success(
            "The wallet, now sealed under newEncryptionKey (same publicKey)."
        )
    },
    field_error(
        "newEncryptionKey: Expected `str` of length >= 16",
        "A key is missing, or under 16 or over 1024 characters.",
    ),
    *_KEYED,
    SEALING_FAILED,
    requests=(example("rotate", "Move to next year's key", ROTATE_KEY_EXAMPLE),),
)


@post(
    "/wallets/user/{user_id:str}/rotate-key",
    summary="Re-seal the wallet under a new encryption key",
    tags=["custody"],
    status_code=200,
    responses=ROTATE_KEY.responses,
    operation_class=ROTATE_KEY.operation_class,
)
async def rotate_key(
    request: AnyRequest,
    data: JSONBody[RotateKeyBody],
    rotate_encryption_key: NamedDependency[RotateEncryptionKey],
    user_id: str = UserIdPath,
) -> WalletBody:
    with (
        EncryptionKey.from_text(data.encryption_key) as key,
        EncryptionKey.from_text(data.new_encryption_key) as new_key,
    ):
        result = await rotate_encryption_key(RotateKeyRequest(user_id, key, new_key, request.user))
    return WalletBody.of(result)


EXPORT = protected(
    {
        HTTPStatus.OK: Success(
            SealedSecretBody,
            "The seed in a libsodium sealed box to recipientPublicKey.",
            (example("sealed", "The sealed seed, base64", SEALED_SECRET_EXAMPLE),),
        )
    },
    Problem(
        HTTPStatus.BAD_REQUEST,
        "invalid-input",
        "The recipientPublicKey is not 32 bytes of canonical standard base64.",
        "recipientPublicKey: must be 32 bytes of base64",
    ),
    Problem(
        HTTPStatus.FORBIDDEN,
        "export-disabled",
        "Exports are disabled in this deployment (WALLET_ALLOW_EXPORT is not true).",
        str(ExportDisabled()),
    ),
    *_KEYED,
    requests=(example("export", "Seal the seed to a recovery key", EXPORT_EXAMPLE),),
)


@post(
    "/wallets/user/{user_id:str}/export",
    summary="The wallet's seed sealed to a recovery recipient (when WALLET_ALLOW_EXPORT=true)",
    tags=["custody"],
    status_code=200,
    responses=EXPORT.responses,
    operation_class=EXPORT.operation_class,
)
async def export(
    request: AnyRequest,
    data: JSONBody[ExportBody],
    export_wallet: NamedDependency[ExportWallet],
    user_id: str = UserIdPath,
) -> SealedSecretBody:
    with EncryptionKey.from_text(data.encryption_key) as key:
        sealed = await export_wallet(
            ExportRequest(user_id, key, data.recipient_public_key, request.user)
        )
    return SealedSecretBody(sealed)


_EMPTY = (example("empty", "No fields", {}),)
SUSPEND = protected(
    {
        HTTPStatus.OK: wallet_success(
            "The wallet, suspended (or already so).",
            example("suspended", "A suspended wallet", SUSPENDED_WALLET_EXAMPLE),
        )
    },
    WALLET_NOT_FOUND,
    requests=_EMPTY,
)


@post(
    "/wallets/user/{user_id:str}/suspend",
    summary="Suspend the wallet: it stays readable, but cannot sign, rotate or export",
    tags=["custody"],
    status_code=200,
    responses=SUSPEND.responses,
    operation_class=SUSPEND.operation_class,
)
async def suspend(
    request: AnyRequest,
    data: JSONBody[EmptyBody],  # noqa: ARG001 - the body is `{}`; parsing it rejects non-JSON
    suspend_wallet: NamedDependency[SuspendWallet],
    user_id: str = UserIdPath,
) -> WalletBody:
    return WalletBody.of(await suspend_wallet(user_id, request.user))


RESUME = protected(
    {HTTPStatus.OK: wallet_success("The wallet, active again (or already so).")},
    WALLET_NOT_FOUND,
    requests=_EMPTY,
)


@post(
    "/wallets/user/{user_id:str}/resume",
    summary="Resume a suspended wallet",
    tags=["custody"],
    status_code=200,
    responses=RESUME.responses,
    operation_class=RESUME.operation_class,
)
async def resume(
    request: AnyRequest,
    data: JSONBody[EmptyBody],  # noqa: ARG001 - as for suspend
    resume_wallet: NamedDependency[ResumeWallet],
    user_id: str = UserIdPath,
) -> WalletBody:
    return WalletBody.of(await resume_wallet(user_id, request.user))


EVENTS = protected(
    {
        HTTPStatus.OK: Success(
            EventPageBody,
            "A page of the wallet's events, oldest first.",
            (example("first-page", "The first two events; more follow", EVENT_PAGE_EXAMPLE),),
        )
    },
    BAD_PATH_ID,
    field_error("cursor: Expected `int` >= 0", "The cursor is negative or the limit not 1 to 100."),
    WALLET_NOT_FOUND,
)


@get(
    "/wallets/user/{user_id:str}/events",
    summary="The wallet's audit trail, oldest first, a page at a time",
    tags=["custody"],
    responses=EVENTS.responses,
)
async def events(
    list_wallet_events: NamedDependency[ListWalletEvents],
    user_id: str = UserIdPath,
    cursor: int = Parameter(default=0, ge=0, description="nextCursor of the previous page"),
    limit: int = Parameter(default=50, ge=1, le=MAX_PAGE),
) -> EventPageBody:
    return EventPageBody.of(await list_wallet_events(user_id, cursor, limit))


ROUTES = [sign, rotate_key, export, suspend, resume, events]
