"""The HTTP operations: thin adapters from bodies to use cases and back. Above each, what the
OpenAPI document says it answers.
"""

from http import HTTPStatus

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter

from application.create_user_wallet import CreateUserWallet, CreateWalletRequest
from application.get_user import GetUser
from application.get_wallet_by_user import GetWalletByUser
from application.register_user import RegisterUser, RegisterUserRequest
from domain.errors import UserConflict, WalletExistsUnderAnotherKey
from domain.model import MAX_ID_CHARS
from domain.secrets import EncryptionKey
from entrypoints.http.openapi import (
    BAD_PATH_ID,
    ENVELOPE_TAMPERED,
    SEALING_FAILED,
    USER_NOT_FOUND,
    WALLET_NOT_FOUND,
    Problem,
    Success,
    example,
    field_error,
    protected,
    wallet_success,
)
from entrypoints.http.problems import AnyRequest
from entrypoints.http.schemas import (
    CREATE_WALLET_EXAMPLE,
    EXAMPLE_USER_ID,
    GENERATED_ID_USER_EXAMPLE,
    REGISTER_USER_EXAMPLE,
    USER_EXAMPLE,
    CreateWalletBody,
    RegisterUserBody,
    UserBody,
    WalletBody,
)

UserIdPath = Parameter(min_length=1, max_length=MAX_ID_CHARS)

CREATE_WALLET = protected(
    {
        HTTPStatus.CREATED: wallet_success("The wallet was created."),
        HTTPStatus.OK: wallet_success("The user's wallet exists and the key opens it (a replay)."),
    },
    field_error(
        "encryptionKey: Expected `str` of length >= 16",
        "A field is missing, empty, of the wrong type or over its limits, e.g. an encryptionKey "
        "under 16 characters.",
    ),
    USER_NOT_FOUND,
    Problem(
        HTTPStatus.CONFLICT,
        "wallet-key-mismatch",
        "The user's wallet exists, sealed under another encryptionKey.",
        str(WalletExistsUnderAnotherKey(EXAMPLE_USER_ID)),
    ),
    ENVELOPE_TAMPERED,
    SEALING_FAILED,
    requests=(example("create", "Create user-42's wallet", CREATE_WALLET_EXAMPLE),),
)


@post(
    "/wallets/create-user-wallet",
    summary="Create the user's wallet, or return it if it exists",
    description="201 when created; 200 when the wallet exists and the key opens it; 409 when it "
    "exists under another key; 404 for an unknown user.",
    tags=["wallets"],
    responses=CREATE_WALLET.responses,
    operation_class=CREATE_WALLET.operation_class,
)
async def create_wallet(
    request: AnyRequest,
    data: JSONBody[CreateWalletBody],
    create_user_wallet: NamedDependency[CreateUserWallet],
) -> Response[WalletBody]:
    with EncryptionKey.from_text(data.encryption_key) as key:
        result = await create_user_wallet(CreateWalletRequest(data.user_id, key, request.user))
    return Response(WalletBody.of(result), status_code=201 if result.created else 200)


GET_WALLET = protected(
    {HTTPStatus.OK: wallet_success("The user's wallet.")}, BAD_PATH_ID, WALLET_NOT_FOUND
)


@get(
    "/wallets/user/{user_id:str}",
    summary="The user's wallet",
    tags=["wallets"],
    description="The wallet never shows its seed, encrypted or not.",
    responses=GET_WALLET.responses,
)
async def get_wallet(
    get_wallet_by_user: NamedDependency[GetWalletByUser], user_id: str = UserIdPath
) -> WalletBody:
    return WalletBody.of(await get_wallet_by_user(user_id))


_USER = example("user", "A user", USER_EXAMPLE)
_TAKEN = "The email or the id is another user's."
REGISTER_USER = protected(
    {
        HTTPStatus.CREATED: Success(
            UserBody,
            "The user was created.",
            (_USER, example("generated-id", "With a generated id", GENERATED_ID_USER_EXAMPLE)),
        ),
        HTTPStatus.OK: Success(UserBody, "This same user exists already.", (_USER,)),
    },
    field_error(
        "id: Expected `str` of length <= 128",
        "A field is missing, empty, of the wrong type or over its limits, e.g. an id over 128 "
        "characters.",
    ),
    Problem(
        HTTPStatus.CONFLICT, "user-conflict", _TAKEN, str(UserConflict("email")), name="email-taken"
    ),
    Problem(HTTPStatus.CONFLICT, "user-conflict", _TAKEN, str(UserConflict("id")), name="id-taken"),
    requests=(
        example("with-id", "Register ada@example.com as user-42", REGISTER_USER_EXAMPLE),
        example("without-id", "Register with a generated id", {"email": "grace@example.com"}),
    ),
)


@post(
    "/users",
    summary="Register a user, or return it if this same user exists",
    description="201 when created; 200 when the same email (and id) exists; 409 when the email "
    "or id belongs to another user.",
    tags=["users"],
    responses=REGISTER_USER.responses,
    operation_class=REGISTER_USER.operation_class,
)
async def register(
    data: JSONBody[RegisterUserBody], register_user: NamedDependency[RegisterUser]
) -> Response[UserBody]:
    result = await register_user(RegisterUserRequest(email=data.email, user_id=data.id))
    return Response(UserBody.of(result), status_code=201 if result.created else 200)


READ_USER = protected(
    {HTTPStatus.OK: Success(UserBody, "The user.", (_USER,))}, BAD_PATH_ID, USER_NOT_FOUND
)


@get(
    "/users/{user_id:str}",
    summary="A user",
    tags=["users"],
    responses=READ_USER.responses,
)
async def read_user(get_user: NamedDependency[GetUser], user_id: str = UserIdPath) -> UserBody:
    return UserBody.of(await get_user(user_id))


ROUTES = [create_wallet, get_wallet, register, read_user]
