"""Request and response bodies: msgspec Structs in camelCase, converted to and from the
application's requests and results here and nowhere else.
"""

from datetime import datetime
from typing import Annotated

import msgspec

from application.results import UserResult, WalletResult
from domain.model import MAX_EMAIL_CHARS, MAX_ID_CHARS
from domain.secrets import EncryptionKey

_TEXT = "No NUL characters or lone surrogates."
Id = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=MAX_ID_CHARS,
        description=f"One URL path segment: no '/', not '.' or '..'. {_TEXT}",
    ),
]
Email = Annotated[
    str,
    msgspec.Meta(
        min_length=3,
        max_length=MAX_EMAIL_CHARS,
        # The '@' rule of domain.model.check_email: text on both sides of the last '@'.
        pattern=r"[\s\S]@[^@]+$",
        description=f"Text on both sides of its last '@'. {_TEXT}",
    ),
]
Key = Annotated[
    str,
    msgspec.Meta(
        min_length=EncryptionKey.MIN_CHARS,
        max_length=EncryptionKey.MAX_CHARS,
        description="Never stored or echoed. No lone surrogates.",
    ),
]


class CreateWalletBody(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    """Create (or fetch) the wallet of `userId`; `encryptionKey` is never stored or echoed."""

    user_id: Id
    encryption_key: Key

    def __repr__(self) -> str:
        return f"CreateWalletBody(user_id={self.user_id!r}, encryption_key=<redacted>)"


class RegisterUserBody(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    """Register a user; without `id`, one is generated."""

    email: Email
    id: Id | None = None


class WalletBody(msgspec.Struct, rename="camel"):
    """A wallet: never its encrypted or plain seed."""

    wallet_id: str
    public_key: str
    user_id: str
    created_at: datetime

    @classmethod
    def of(cls, result: WalletResult) -> "WalletBody":
        return cls(result.wallet_id, result.public_key, result.user_id, result.created_at)


class UserBody(msgspec.Struct, rename="camel"):
    """A user."""

    id: str
    email: str
    created_at: datetime

    @classmethod
    def of(cls, result: UserResult) -> "UserBody":
        return cls(result.id, result.email, result.created_at)


class StatusBody(msgspec.Struct):
    """Liveness or readiness."""

    status: str


class ProblemBody(msgspec.Struct, omit_defaults=True):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[str] | None = None
