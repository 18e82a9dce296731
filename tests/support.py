"""Shared test helpers: fast settings, fault injection around our own ports."""

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from types import TracebackType
from typing import Any, Self

import httpx
from dependency_injector import providers

from adapters.crypto.envelope import KdfParams
from domain.model import KeyPair, WalletBinding
from domain.ports import Cipher, KeyGenerator, UnitOfWork
from domain.secrets import EncryptionKey, SecretSeed
from entrypoints.container import Container
from entrypoints.http.app import create_app
from entrypoints.settings import Settings

FAST_KDF = KdfParams(memory_kib=64, iterations=1)
TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
KEY = "correct horse battery staple"
OTHER_KEY = "another key, sixteen+ chars"


def settings_for(database_url: str, **changes: Any) -> Settings:
    """Settings for tests: cheap key stretching, one known token."""
    return replace(
        Settings(database_url=database_url, api_tokens=(TOKEN,), kdf=FAST_KDF), **changes
    )


CREATION_STEPS = [
    "wallets.get_by_user",
    "key_generator.generate",
    "cipher.encrypt",
    "wallets.add",
    "commit",
]
"""Every step of a wallet creation at which a fault can be injected."""


class InjectedFault(RuntimeError):
    """The failure a test asked for."""


class Faults:
    """Which steps fail next. A step fails once, the next time it is reached."""

    STEPS = (
        "users.get",
        "users.get_by_email",
        "users.add",
        "wallets.get_by_user",
        "wallets.add",
        "events.append",
        "commit",
        "key_generator.generate",
        "cipher.encrypt",
        "cipher.decrypt",
    )

    def __init__(self) -> None:
        self.armed: dict[str, Exception | None] = {}
        self.fired: list[str] = []

    def arm(self, step: str, error: Exception | None = None) -> None:
        """Fail `step` the next time it is reached, with `error` (default: InjectedFault)."""
        if step not in self.STEPS:
            raise ValueError(step)
        self.armed[step] = error

    def reached(self, step: str) -> None:
        if step in self.armed:
            error = self.armed.pop(step)
            self.fired.append(step)
            raise error or InjectedFault(step)


class _FaultyRepository:
    def __init__(self, inner: Any, name: str, faults: Faults) -> None:
        self._inner = inner
        self._name = name
        self._faults = faults

    def __getattr__(self, method: str) -> Callable[..., Awaitable[Any]]:
        call = getattr(self._inner, method)

        async def faulty(*args: Any) -> Any:
            self._faults.reached(f"{self._name}.{method}")
            return await call(*args)

        return faulty


class FaultyUnitOfWork:
    """A unit of work whose repository calls and commit fail when the faults say so."""

    def __init__(self, inner: UnitOfWork, faults: Faults) -> None:
        self._inner = inner
        self._faults = faults
        self.users: Any = None
        self.wallets: Any = None
        self.events: Any = None

    async def __aenter__(self) -> Self:
        await self._inner.__aenter__()
        self.users = _FaultyRepository(self._inner.users, "users", self._faults)
        self.wallets = _FaultyRepository(self._inner.wallets, "wallets", self._faults)
        self.events = _FaultyRepository(self._inner.events, "events", self._faults)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._inner.__aexit__(exc_type, exc, traceback)

    async def commit(self) -> None:
        self._faults.reached("commit")
        await self._inner.commit()


class FaultyKeyGenerator:
    def __init__(self, inner: KeyGenerator, faults: Faults) -> None:
        self._inner = inner
        self._faults = faults
        self.seeds: list[bytes] = []

    def generate(self) -> KeyPair:
        self._faults.reached("key_generator.generate")
        keypair = self._inner.generate()
        self.seeds.append(bytes(keypair.seed.reveal()))
        return keypair

    def public_key_of(self, seed: SecretSeed) -> str:
        return self._inner.public_key_of(seed)


class FaultyCipher:
    def __init__(self, inner: Cipher, faults: Faults) -> None:
        self._inner = inner
        self._faults = faults

    async def encrypt(self, seed: SecretSeed, key: EncryptionKey, binding: WalletBinding) -> str:
        self._faults.reached("cipher.encrypt")
        return await self._inner.encrypt(seed, key, binding)

    async def decrypt(
        self, envelope: str, key: EncryptionKey, binding: WalletBinding
    ) -> SecretSeed:
        self._faults.reached("cipher.decrypt")
        return await self._inner.decrypt(envelope, key, binding)


@contextmanager
def faulty_creation(container: Container, faults: Faults) -> Iterator[FaultyKeyGenerator]:
    """Make the container's CreateUserWallet run on fault-injecting ports; yields the key
    generator, which remembers every seed it made."""
    real_uow, real_keys, real_cipher = (
        container.unit_of_work,
        container.key_generator(),
        container.cipher(),
    )
    key_generator = FaultyKeyGenerator(real_keys, faults)
    with container.create_user_wallet.override(
        providers.Factory(
            container.create_user_wallet.cls,
            uow=providers.Factory(lambda: FaultyUnitOfWork(real_uow(), faults)),
            key_generator=providers.Object(key_generator),
            cipher=providers.Object(FaultyCipher(real_cipher, faults)),
        )
    ):
        yield key_generator


@asynccontextmanager
async def http_client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app, in this event loop: concurrent requests really overlap."""
    transport = httpx.ASGITransport(app=create_app(container))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://wallets.test") as client:
        yield client
