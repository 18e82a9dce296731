"""The HTTP operations: thin adapters from bodies to use cases and back."""

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter

from application.create_user_wallet import CreateUserWallet, CreateWalletRequest
from application.get_user import GetUser
from application.get_wallet_by_user import GetWalletByUser
from application.register_user import RegisterUser, RegisterUserRequest
from domain.model import MAX_ID_CHARS
from domain.secrets import EncryptionKey
from entrypoints.http.schemas import CreateWalletBody, RegisterUserBody, UserBody, WalletBody

UserIdPath = Parameter(min_length=1, max_length=MAX_ID_CHARS)


@post(
    "/wallets/create-user-wallet",
    summary="Create the user's wallet, or return it if it exists",
    description="201 when created; 200 when the wallet exists and the key opens it; 409 when it "
    "exists under another key; 404 for an unknown user.",
    tags=["wallets"],
)
async def create_wallet(
    data: JSONBody[CreateWalletBody], create_user_wallet: NamedDependency[CreateUserWallet]
) -> Response[WalletBody]:
    with EncryptionKey.from_text(data.encryption_key) as key:
        result = await create_user_wallet(CreateWalletRequest(data.user_id, key))
    return Response(WalletBody.of(result), status_code=201 if result.created else 200)


@get("/wallets/user/{user_id:str}", summary="The user's wallet", tags=["wallets"])
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
)
async def register(
    data: JSONBody[RegisterUserBody], register_user: NamedDependency[RegisterUser]
) -> Response[UserBody]:
    result = await register_user(RegisterUserRequest(email=data.email, user_id=data.id))
    return Response(UserBody.of(result), status_code=201 if result.created else 200)


@get("/users/{user_id:str}", summary="A user", tags=["users"])
async def read_user(get_user: NamedDependency[GetUser], user_id: str = UserIdPath) -> UserBody:
    return UserBody.of(await get_user(user_id))


ROUTES = [create_wallet, get_wallet, register, read_user]
