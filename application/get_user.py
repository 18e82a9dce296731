"""GetUser: read a user."""

from application.results import UserResult
from domain.errors import Field, UserNotFound
from domain.model import check_id
from domain.ports import UnitOfWork


class GetUser:
    """Return the user with this id; UserNotFound when there is none. Reads only."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, user_id: str) -> UserResult:
        check_id(Field.USER_ID, user_id)
        async with self._uow as uow:
            user = await uow.users.get(user_id)
        if user is None:
            raise UserNotFound(user_id)
        return UserResult.of(user)
