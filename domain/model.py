"""Entities and value objects: User and Wallet, with the rules that keep them valid."""

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

from domain.errors import Field, InvalidInput, WalletSuspended
from domain.ids import new_id
from domain.secrets import SecretSeed

MAX_ID_CHARS = 128
MAX_EMAIL_CHARS = 254
PUBLIC_KEY_CHARS = 56


def utc_now() -> datetime:
    """The current time, in UTC, at the millisecond precision the seed schema stores."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def check_id(field: Field, value: str) -> str:
    """Reject empty or over-long ids, ids a database cannot store (NUL, lone surrogates), and ids
    that cannot be one URL path segment ('/' inside, or '.' and '..', which URLs normalise away).
    """
    if not value:
        raise InvalidInput(field, "must not be empty")
    if len(value) > MAX_ID_CHARS:
        raise InvalidInput(field, f"must be at most {MAX_ID_CHARS} characters long")
    if "/" in value or value in {".", ".."}:
        raise InvalidInput(field, "must not contain '/' or be '.' or '..' (ids go in URL paths)")
    _check_storable(field, value)
    return value


def check_network(allowed: frozenset[str], network_passphrase: str) -> str:
    """The passphrase, if it is one of the deployment's `allowed` networks (InvalidInput if not)."""
    if network_passphrase not in allowed:
        raise InvalidInput(Field.NETWORK_PASSPHRASE, "is not one of the allowed networks")
    return network_passphrase


def check_email(value: str) -> str:
    """An email is non-empty, at most 254 characters, and has an '@' with text on both sides."""
    if not value:
        raise InvalidInput(Field.EMAIL, "must not be empty")
    if len(value) > MAX_EMAIL_CHARS:
        raise InvalidInput(Field.EMAIL, f"must be at most {MAX_EMAIL_CHARS} characters long")
    local, at, domain = value.rpartition("@")
    if not (at and local and domain):
        raise InvalidInput(Field.EMAIL, "must look like local@domain")
    _check_storable(Field.EMAIL, value)
    return value


def _check_storable(field: Field, value: str) -> None:
    if "\x00" in value:
        raise InvalidInput(field, "must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(field, "must be valid Unicode text") from None


@dataclass(frozen=True, slots=True)
class User:
    """A user of the calling backend; the owner of at most one wallet."""

    id: str
    email: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def register(cls, email: str, user_id: str | None = None) -> "User":
        """A new user, with a generated time-ordered id unless one is given."""
        now = utc_now()
        return cls(
            id=new_id() if user_id is None else check_id(Field.NEW_USER_ID, user_id),
            email=check_email(email),
            created_at=now,
            updated_at=now,
        )

    def is_same_registration(self, email: str, user_id: str | None) -> bool:
        """Whether registering (email, user_id) again describes this very user."""
        return self.email == email and user_id in (None, self.id)


@dataclass(frozen=True, slots=True)
class KeyPair:
    """A freshly generated Stellar keypair: its StrKey public key and its secret seed."""

    public_key: str
    seed: SecretSeed

    def __post_init__(self) -> None:
        if len(self.public_key) != PUBLIC_KEY_CHARS or not self.public_key.startswith("G"):
            raise ValueError("a Stellar account public key is 56 characters starting with 'G'")


@dataclass(frozen=True, slots=True)
class WalletBinding:
    """What an encrypted seed is bound to: opening it under another user or key must fail."""

    user_id: str
    public_key: str


class WalletStatus(StrEnum):
    """An active wallet can be used; a suspended one can only be read."""

    ACTIVE = "active"
    SUSPENDED = "suspended"


@dataclass(frozen=True, slots=True)
class Wallet:
    """A user's Stellar wallet: its public key and its seed, encrypted under the caller's key."""

    id: str
    user_id: str
    public_key: str
    encrypted_key: str
    created_at: datetime
    updated_at: datetime
    status: WalletStatus = WalletStatus.ACTIVE
    exported_at: datetime | None = None

    @classmethod
    def create_for(cls, user_id: str, public_key: str, encrypted_key: str) -> "Wallet":
        """A new wallet for the user with this id, holding an already encrypted seed."""
        if not encrypted_key:
            raise ValueError("a wallet needs its encrypted seed")
        now = utc_now()
        return cls(
            id=new_id(),
            user_id=user_id,
            public_key=public_key,
            encrypted_key=encrypted_key,
            created_at=now,
            updated_at=now,
        )

    def ensure_active(self) -> None:
        """Raise WalletSuspended unless the wallet may be used."""
        if self.status is not WalletStatus.ACTIVE:
            raise WalletSuspended(self.user_id)

    def with_status(self, status: WalletStatus) -> "Wallet":
        """The wallet suspended or resumed."""
        return replace(self, status=status, updated_at=utc_now())

    def reencrypted(self, encrypted_key: str) -> "Wallet":
        """The same wallet (same keypair) with its seed sealed anew."""
        return replace(self, encrypted_key=encrypted_key, updated_at=utc_now())

    def marked_exported(self) -> "Wallet":
        """The wallet, recording that its seed was exported now."""
        now = utc_now()
        return replace(self, exported_at=now, updated_at=now)

    @property
    def binding(self) -> WalletBinding:
        """The binding its envelope was sealed with."""
        return WalletBinding(user_id=self.user_id, public_key=self.public_key)

    def __repr__(self) -> str:
        return (
            f"Wallet(id={self.id!r}, user_id={self.user_id!r}, public_key={self.public_key!r}, "
            "encrypted_key=<redacted>)"
        )
