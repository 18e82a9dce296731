"""Ports: what the use cases need from the outside world, as Protocols with their contracts."""

from types import TracebackType
from typing import Protocol, Self

from domain.model import KeyPair, User, Wallet, WalletBinding
from domain.secrets import EncryptionKey, SecretSeed


class UserRepository(Protocol):
    """Users, seen through one unit of work. Writes become visible to others only on commit."""

    async def get(self, user_id: str) -> User | None:
        """The user with this id, or None."""
        ...

    async def get_by_email(self, email: str) -> User | None:
        """The user with this exact email, or None."""
        ...

    async def add(self, user: User) -> bool:
        """Insert the user. False, with nothing written, when its id or email is already taken
        (including by a concurrent transaction that commits first). Needs a commit.
        """
        ...


class WalletRepository(Protocol):
    """Wallets, seen through one unit of work. The store allows at most one wallet per user."""

    async def get_by_user(self, user_id: str) -> Wallet | None:
        """The wallet of this user, or None."""
        ...

    async def add(self, wallet: Wallet) -> Wallet:
        """Insert the wallet unless its user already has one, and return the user's wallet:
        the given one if it was inserted, else the one already stored (a concurrent creation
        that committed first wins). Raises UserNotFound when the user does not exist, PublicKeyTaken
        when another wallet has this public key.
        Needs a commit.
        """
        ...


class UnitOfWork(Protocol):
    """One transaction. `async with uow:` opens it and exposes `users` and `wallets`; leaving the
    block without `await uow.commit()`, or by an exception, rolls everything back.
    """

    users: UserRepository
    wallets: WalletRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None:
        """Make every write of this unit of work durable and visible, atomically."""
        ...


class KeyGenerator(Protocol):
    """Source of new Stellar keypairs."""

    def generate(self) -> KeyPair:
        """A new random ed25519 keypair: StrKey public key ('G...') and 32-byte seed."""
        ...

    def public_key_of(self, seed: SecretSeed) -> str:
        """The StrKey public key ('G...') of a 32-byte seed."""
        ...


class Cipher(Protocol):
    """Authenticated encryption of seeds under the caller's key, bound to one wallet.
    May be slow (key stretching): both methods run off the event loop.
    """

    async def encrypt(self, seed: SecretSeed, key: EncryptionKey, binding: WalletBinding) -> str:
        """A self-describing text envelope of the seed, openable only with the same key and
        binding.
        """
        ...

    async def decrypt(
        self, envelope: str, key: EncryptionKey, binding: WalletBinding
    ) -> SecretSeed:
        """The seed sealed in the envelope. Raises WalletKeyMismatch when the envelope was sealed
        under another key, EnvelopeTampered when it is damaged, altered, or bound to another
        wallet.
        """
        ...
