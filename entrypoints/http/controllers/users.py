"""Users: register one, read one."""

from litestar import Controller, Response, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from application.get_user import GetUser
from application.register_user import RegisterUser, RegisterUserRequest
from entrypoints.http import operations
from entrypoints.http.controllers.head import get_and_head
from entrypoints.http.schemas import RegisterUserBody, UserBody, UserIdPath


class UserController(Controller):
    path = "/users"
    tags = ["users"]  # noqa: RUF012 - Litestar reads layer settings as class attributes

    @post(
        summary="Register a user, or return it if this same user exists",
        description="201 when created; 200 when the same email (and id) exists; 409 when the "
        "email or id belongs to another user.",
        **operations.REGISTER_USER.route,
    )
    async def register(
        self, data: JSONBody[RegisterUserBody], register_user: NamedDependency[RegisterUser]
    ) -> Response[UserBody]:
        result = await register_user(RegisterUserRequest(email=data.email, user_id=data.id))
        return Response(UserBody.of(result), status_code=201 if result.created else 200)

    @get_and_head("/{user_id:str}", summary="A user", **operations.READ_USER.route)
    async def read_user(
        self, get_user: NamedDependency[GetUser], user_id: str = UserIdPath
    ) -> UserBody:
        return UserBody.of(await get_user(user_id))
