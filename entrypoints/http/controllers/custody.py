"""The custody operations on an existing wallet: sign, rotate the key, export, suspend, resume,
and its audit trail.
"""

from contextlib import ExitStack

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter

from application.activate_account import ActivateAccount
from application.change_signers import ChangeSigners
from application.export_wallet import ExportRequest, ExportWallet
from application.get_escrow import GetEscrow
from application.rotate_encryption_key import RotateEncryptionKey, RotateKeyRequest
from application.set_wallet_status import ResumeWallet, SuspendWallet
from application.sign_transaction import SignRequest, SignTransaction
from application.wallet_events import MAX_PAGE, ListWalletEvents
from domain.errors import Field
from domain.secrets import EncryptionKey
from entrypoints.http import operations
from entrypoints.http.controllers.head import get_and_head
from entrypoints.http.problems import AnyRequest
from entrypoints.http.schemas import (
    AccountTransactionBody,
    ActivationBody,
    EmptyBody,
    EscrowBody,
    EventPageBody,
    ExportBody,
    RotateKeyBody,
    SealedSecretBody,
    SignBody,
    SignedBody,
    SignerChangeBody,
    UserIdPath,
    WalletBody,
)


class CustodyController(Controller):
    path = "/wallets/user/{user_id:str}"
    tags = ["custody"]  # noqa: RUF012 - Litestar reads layer settings as class attributes

    @post(
        "/sign",
        summary="Sign a Stellar transaction with the user's wallet",
        status_code=200,
        **operations.SIGN.route,
    )
    async def sign(
        self,
        request: AnyRequest,
        data: JSONBody[SignBody],
        sign_transaction: NamedDependency[SignTransaction],
        user_id: str = UserIdPath,
    ) -> SignedBody:
        with EncryptionKey.from_text(data.encryption_key) as key:
            result = await sign_transaction(
                SignRequest(
                    user_id, key, data.transaction_xdr, data.network_passphrase, request.user
                )
            )
        return SignedBody.of(result)

    @post(
        "/activation",
        summary="Build and sign the sponsored activation of the user's account, with trustlines",
        description="From the sponsor's account: BeginSponsoringFutureReserves, CreateAccount "
        "(starting balance 0), one ChangeTrust per trustline, EndSponsoringFutureReserves. The "
        "sponsor's wallet signs too when it is held here. With `submit` (when WALLET_HORIZON_URL "
        "is set) the transaction is sent to the network, and `sponsorSequence` may be omitted.",
        status_code=200,
        **operations.ACTIVATE.route,
    )
    async def activate(
        self,
        request: AnyRequest,
        data: JSONBody[ActivationBody],
        activate_account: NamedDependency[ActivateAccount],
        user_id: str = UserIdPath,
    ) -> AccountTransactionBody:
        with ExitStack() as keys:
            key = keys.enter_context(EncryptionKey.from_text(data.encryption_key))
            result = await activate_account(data.request(user_id, key, keys, request.user))
        return AccountTransactionBody.of(result)

    @post(
        "/signers",
        summary="Build and sign a change of the signers and thresholds of the user's account",
        description="SetOptions operations from the wallet's account, signed by the wallet. "
        "Refused with 400 lockout when the resulting signers could never reach the high "
        "threshold, unless `allowLockout` is true. With `submit` (when WALLET_HORIZON_URL is "
        "set) the transaction is sent to the network, and `sequence` may be omitted.",
        status_code=200,
        **operations.CHANGE_SIGNERS.route,
    )
    async def change_signers(
        self,
        request: AnyRequest,
        data: JSONBody[SignerChangeBody],
        change_signers: NamedDependency[ChangeSigners],
        user_id: str = UserIdPath,
    ) -> AccountTransactionBody:
        with EncryptionKey.from_text(data.encryption_key) as key:
            result = await change_signers(data.request(user_id, key, request.user))
        return AccountTransactionBody.of(result)

    @post(
        "/rotate-key",
        summary="Re-seal the wallet under a new encryption key",
        status_code=200,
        **operations.ROTATE_KEY.route,
    )
    async def rotate_key(
        self,
        request: AnyRequest,
        data: JSONBody[RotateKeyBody],
        rotate_encryption_key: NamedDependency[RotateEncryptionKey],
        user_id: str = UserIdPath,
    ) -> WalletBody:
        with (
            EncryptionKey.from_text(data.encryption_key) as key,
            EncryptionKey.from_text(data.new_encryption_key, Field.NEW_ENCRYPTION_KEY) as new_key,
        ):
            result = await rotate_encryption_key(
                RotateKeyRequest(user_id, key, new_key, request.user)
            )
        return WalletBody.of(result)

    @post(
        "/export",
        summary="The wallet's seed sealed to a recovery recipient (when WALLET_ALLOW_EXPORT=true)",
        status_code=200,
        **operations.EXPORT.route,
    )
    async def export(
        self,
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
        "/suspend",
        summary="Suspend the wallet: it stays readable, but cannot sign, rotate or export",
        status_code=200,
        **operations.SUSPEND.route,
    )
    async def suspend(
        self,
        request: AnyRequest,
        data: JSONBody[EmptyBody],  # noqa: ARG002 - the body is `{}`; parsing it rejects non-JSON
        suspend_wallet: NamedDependency[SuspendWallet],
        user_id: str = UserIdPath,
    ) -> WalletBody:
        return WalletBody.of(await suspend_wallet(user_id, request.user))

    @post(
        "/resume",
        summary="Resume a suspended wallet",
        status_code=200,
        **operations.RESUME.route,
    )
    async def resume(
        self,
        request: AnyRequest,
        data: JSONBody[EmptyBody],  # noqa: ARG002 - as for suspend
        resume_wallet: NamedDependency[ResumeWallet],
        user_id: str = UserIdPath,
    ) -> WalletBody:
        return WalletBody.of(await resume_wallet(user_id, request.user))

    @get_and_head(
        "/escrow",
        summary="The wallet's escrow: its seed sealed to the offline recovery key",
        description="Only the recovery key's private half, split among officers and kept "
        "offline, opens it: the calling service may keep a copy with its own records (that "
        "copy survives a database restored to an earlier point; `wallet-orchestrator recovery "
        "import` reads it back). 404 when the wallet has no escrow (WALLET_RECOVERY_PUBLIC_KEY "
        "was not set when it was last sealed).",
        **operations.ESCROW.route,
    )
    async def escrow(
        self, get_escrow: NamedDependency[GetEscrow], user_id: str = UserIdPath
    ) -> EscrowBody:
        return EscrowBody.of(await get_escrow(user_id))

    @get_and_head(
        "/events",
        summary="The wallet's audit trail, oldest first, a page at a time",
        **operations.EVENTS.route,
    )
    async def events(
        self,
        list_wallet_events: NamedDependency[ListWalletEvents],
        user_id: str = UserIdPath,
        cursor: int = Parameter(default=0, ge=0, description="nextCursor of the previous page"),
        limit: int = Parameter(default=50, ge=1, le=MAX_PAGE),
    ) -> EventPageBody:
        return EventPageBody.of(await list_wallet_events(user_id, cursor, limit))
