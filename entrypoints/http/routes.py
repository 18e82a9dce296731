"""The HTTP operations: thin adapters from bodies to use cases and back."""

from http import HTTPStatus

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter

from application.create_user_wallet import CreateUserWallet, CreateWalletRequest
from application.get_user import GetUser
from application.get_wallet_by_user import GetWalletByUser
from application.register_user import RegisterUser, RegisterUserRequest
from domain.model import MAX_ID_CHARS
from domain.secrets import EncryptionKey
from entrypoints.http.openapi import protected_route_responses, success_response
from entrypoints.http.problems import AnyRequest
from entrypoints.http.schemas import CreateWalletBody, RegisterUserBody, UserBody, WalletBody

UserIdPath = Parameter(min_length=1, max_length=MAX_ID_CHARS)

TOO_LARGE = {HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "The body is over 64 KiB."}
UNKNOWN_USER = {HTTPStatus.NOT_FOUND: "No user has this id."}


@post(
    "/wallets/create-user-wallet",
    summary="Create the user's wallet, or return it if it exists",
    description="201 when created; 200 when the wallet exists and the key opens it; 409 when it "
    "exists under another key; 404 for an unknown user.",
    tags=["wallets"],
    response_description="The wallet was created.",
    responses=protected_route_responses(
        {
            **UNKNOWN_USER,
            HTTPStatus.CONFLICT: "The user's wallet exists, sealed under another encryptionKey.",
            **TOO_LARGE,
            HTTPStatus.INTERNAL_SERVER_ERROR: "The request failed and nothing was changed; the "
            "type ends in /problems/envelope-tampered when the wallet's stored encrypted key "
            "fails its integrity check.",
        },
        {
            HTTPStatus.OK: success_response(
                WalletBody, "The user's wallet exists and the key opens it."
            )
        },
    ),
)
async def create_wallet(
    request: AnyRequest,
    data: JSONBody[CreateWalletBody],
    create_user_wallet: NamedDependency[CreateUserWallet],
) -> Response[WalletBody]:
    with EncryptionKey.from_text(data.encryption_key) as key:
        result = await create_user_wallet(CreateWalletRequest(data.user_id, key, request.user))
    return Response(WalletBody.of(result), status_code=201 if result.created else 200)


@get(
    "/wallets/user/{user_id:str}",
    summary="The user's wallet",
    tags=["wallets"],
    response_description="The user's wallet (never its seed, encrypted or not).",
    responses=protected_route_responses({HTTPStatus.NOT_FOUND: "No such user, or no wallet yet."}),
)
async def get_wallet(
    get_wallet_by_user: NamedDependency[GetWalletByUser], user_id: str = UserIdPath
) -> WalletBody:
    return WalletBody.of(await get_wallet_by_user(user_id))


@post(
    "/users",
    summary="Register a user, or return it if this same user exists",
    description="201 when created; 200 when the same email (and id) exists; 409 when the email "
    "or id belongs to another user.",
    tags=["users"],
    response_description="The user was created.",
    responses=protected_route_responses(
        {HTTPStatus.CONFLICT: "The email or the id is another user's.", **TOO_LARGE},
        {HTTPStatus.OK: success_response(UserBody, "This same user exists already.")},
    ),
)
async def register(
    data: JSONBody[RegisterUserBody], register_user: NamedDependency[RegisterUser]
) -> Response[UserBody]:
    result = await register_user(RegisterUserRequest(email=data.email, user_id=data.id))
    return Response(UserBody.of(result), status_code=201 if result.created else 200)


@get(
    "/users/{user_id:str}",
    summary="A user",
    tags=["users"],
    response_description="The user.",
    responses=protected_route_responses(UNKNOWN_USER),
)
async def read_user(get_user: NamedDependency[GetUser], user_id: str = UserIdPath) -> UserBody:
    return UserBody.of(await get_user(user_id))


ROUTES = [create_wallet, get_wallet, register, read_user]
