"""The bodies of users: registering one, and a user."""

from datetime import datetime

import msgspec

from application.results import UserResult
from entrypoints.http.schemas.fields import Email, Id


class RegisterUserBody(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    """Register a user; without `id`, one is generated."""

    email: Email
    id: Id | None = None


class UserBody(msgspec.Struct, rename="camel"):
    """A user."""

    id: str
    email: str
    created_at: datetime

    @classmethod
    def of(cls, result: UserResult) -> "UserBody":
        return cls(result.id, result.email, result.created_at)
