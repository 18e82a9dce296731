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
from domain.secrets import EncryptionKey
from entrypoints.http.openapi import protected_route_responses
from entrypoints.http.problems import AnyRequest
from entrypoints.http.routes import TOO_LARGE, UserIdPath
from entrypoints.http.schemas import (
    EmptyBody,
    EventPageBody,
    ExportBody,
    RotateKeyBody,
    SealedSecretBody,
    SignBody,
    SignedBody,
    WalletBody,
)

NO_WALLET = {HTTPStatus.NOT_FOUND: "No such user, or no wallet yet."}
KEYED = {
    **NO_WALLET,
    **TOO_LARGE,
    HTTPStatus.FORBIDDEN: "The encryptionKey does not open this wallet.",
    HTTPStatus.LOCKED: "The wallet is suspended.",
}


@post(
    "/wallets/user/{user_id:str}/sign",
    summary="Sign a Stellar transaction with the user's wallet",
    tags=["custody"],
    status_code=200,
    response_description="The envelope with the wallet's signature added.",
    responses=protected_route_responses(
        {
            **KEYED,
            HTTPStatus.BAD_REQUEST: "Malformed transaction XDR, a network passphrase that is not "
            "allowed, or other invalid input.",
        }
    ),
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


@post(
    "/wallets/user/{user_id:str}/rotate-key",
    summary="Re-seal the wallet under a new encryption key",
    tags=["custody"],
    status_code=200,
    response_description="The wallet, now sealed under newEncryptionKey (same publicKey).",
    responses=protected_route_responses(KEYED),
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


@post(
    "/wallets/user/{user_id:str}/export",
    summary="The wallet's seed sealed to a recovery recipient (when WALLET_ALLOW_EXPORT=true)",
    tags=["custody"],
    status_code=200,
    response_description="The seed in a libsodium sealed box to recipientPublicKey.",
    responses=protected_route_responses(
        {
            **KEYED,
            HTTPStatus.FORBIDDEN: "Exports are disabled (WALLET_ALLOW_EXPORT), or the "
            "encryptionKey does not open this wallet.",
        }
    ),
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


@post(
    "/wallets/user/{user_id:str}/suspend",
    summary="Suspend the wallet: it stays readable, but cannot sign, rotate or export",
    tags=["custody"],
    status_code=200,
    responses=protected_route_responses({**NO_WALLET, **TOO_LARGE}),
)
async def suspend(
    request: AnyRequest,
    data: JSONBody[EmptyBody],  # noqa: ARG001 - the body is `{}`; parsing it rejects non-JSON
    suspend_wallet: NamedDependency[SuspendWallet],
    user_id: str = UserIdPath,
) -> WalletBody:
    return WalletBody.of(await suspend_wallet(user_id, request.user))


@post(
    "/wallets/user/{user_id:str}/resume",
    summary="Resume a suspended wallet",
    tags=["custody"],
    status_code=200,
    responses=protected_route_responses({**NO_WALLET, **TOO_LARGE}),
)
async def resume(
    request: AnyRequest,
    data: JSONBody[EmptyBody],  # noqa: ARG001 - as for suspend
    resume_wallet: NamedDependency[ResumeWallet],
    user_id: str = UserIdPath,
) -> WalletBody:
    return WalletBody.of(await resume_wallet(user_id, request.user))


@get(
    "/wallets/user/{user_id:str}/events",
    summary="The wallet's audit trail, oldest first, a page at a time",
    tags=["custody"],
    responses=protected_route_responses(NO_WALLET),
)
async def events(
    list_wallet_events: NamedDependency[ListWalletEvents],
    user_id: str = UserIdPath,
    cursor: int = Parameter(default=0, ge=0, description="nextCursor of the previous page"),
    limit: int = Parameter(default=50, ge=1, le=MAX_PAGE),
) -> EventPageBody:
    return EventPageBody.of(await list_wallet_events(user_id, cursor, limit))


ROUTES = [sign, rotate_key, export, suspend, resume, events]
