"""RegisterUser: add a user, idempotently."""

from dataclasses import dataclass

from application.results import UserResult
from domain.errors import Field, UserConflict
from domain.model import User
from domain.ports import UnitOfWork, UserRepository


@dataclass(frozen=True, slots=True)
class RegisterUserRequest:
    """Register `email`, with the given id or a generated one."""

    email: str
    user_id: str | None = None


class RegisterUser:
    """Register a user, idempotently.

    Returns the new user with created=True; the existing user with created=False when this very
    registration (same email, and same id if one is given) already exists; raises UserConflict
    when the email or the id belongs to another user, InvalidInput on a bad email or id. The
    unique constraints decide races: a registration that loses one is resolved against the winner.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, request: RegisterUserRequest) -> UserResult:
        candidate = User.register(request.email, request.user_id)
        async with self._uow as uow:
            existing = await _existing_registration(uow.users, request)
            if existing is not None:
                return UserResult.of(existing)
            if await uow.users.add(candidate):
                await uow.commit()
                return UserResult.of(candidate, created=True)
        async with self._uow as uow:
            existing = await _existing_registration(uow.users, request)
        if existing is None:
            raise UserConflict(Field.NEW_USER_ID, Field.EMAIL)
        return UserResult.of(existing)


async def _existing_registration(
    users: UserRepository, request: RegisterUserRequest
) -> User | None:
    """The user this request describes, if stored; UserConflict if it collides with another."""
    if request.user_id is not None:
        by_id = await users.get(request.user_id)
        if by_id is not None:
            if by_id.email != request.email:
                raise UserConflict(Field.NEW_USER_ID)
            return by_id
    by_email = await users.get_by_email(request.email)
    if by_email is None:
        return None
    if not by_email.is_same_registration(request.email, request.user_id):
        raise UserConflict(Field.EMAIL)
    return by_email
