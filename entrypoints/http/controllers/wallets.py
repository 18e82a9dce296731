"""Wallets: create one (or return the existing one), create many, read one."""

from litestar import Controller, Response, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from application.create_user_wallet import CreateUserWallet, CreateWalletRequest
from application.create_wallets import CreateWallets, CreateWalletsRequest
from application.get_wallet_by_user import GetWalletByUser
from domain.secrets import EncryptionKey
from entrypoints.http import operations
from entrypoints.http.controllers.head import get_and_head
from entrypoints.http.observed import count_item_creations
from entrypoints.http.problems import AnyRequest, item_problem
from entrypoints.http.schemas import (
    BatchResultsBody,
    CreateWalletBody,
    CreateWalletsBody,
    UserIdPath,
    WalletBody,
)


class WalletController(Controller):
    path = "/wallets"
    tags = ["wallets"]  # noqa: RUF012 - Litestar reads layer settings as class attributes

    @post(
        "/create-user-wallet",
        summary="Create the user's wallet, or return it if it exists",
        description="201 when created; 200 when the wallet exists and the key opens it; 409 when "
        "it exists under another key; 404 for an unknown user.",
        **operations.CREATE_WALLET.route,
    )
    async def create_wallet(
        self,
        request: AnyRequest,
        data: JSONBody[CreateWalletBody],
        create_user_wallet: NamedDependency[CreateUserWallet],
    ) -> Response[WalletBody]:
        with EncryptionKey.from_text(data.encryption_key) as key:
            result = await create_user_wallet(CreateWalletRequest(data.user_id, key, request.user))
        return Response(WalletBody.of(result), status_code=201 if result.created else 200)

    @post(
        "/batch",
        summary="Create (or return) the wallets of many users under one key",
        description="1 to 100 items, each its own creation, as the single one: one that fails "
        "changes nothing for the others. The answer is 200 with each item's outcome in order. "
        "A failure of the service itself (the database, the key-derivation slots, the "
        "key-management backend) stops the batch with its problem: the items before it stay "
        "done, and the same batch sent again is safe (they answer 200).",
        status_code=200,
        **operations.CREATE_WALLETS.route,
    )
    async def create_wallets(
        self,
        request: AnyRequest,
        data: JSONBody[CreateWalletsBody],
        create_wallets: NamedDependency[CreateWallets],
    ) -> BatchResultsBody:
        user_ids = [item.user_id for item in data.items]
        with EncryptionKey.from_text(data.encryption_key) as key:
            outcomes = await create_wallets(CreateWalletsRequest(user_ids, key, request.user))
        body = BatchResultsBody.of(data.items, outcomes, lambda error: item_problem(request, error))
        count_item_creations(
            (result.status, None if result.problem is None else result.problem.type)
            for result in body.results
        )
        return body

    @get_and_head(
        "/user/{user_id:str}",
        summary="The user's wallet",
        description="The wallet never shows its seed, encrypted or not.",
        **operations.GET_WALLET.route,
    )
    async def get_wallet(
        self, get_wallet_by_user: NamedDependency[GetWalletByUser], user_id: str = UserIdPath
    ) -> WalletBody:
        return WalletBody.of(await get_wallet_by_user(user_id))
