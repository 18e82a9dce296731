"""Shared test helpers: fast settings, fault injection around our own ports."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any, Self, cast

import httpx
from dependency_injector import providers
from sqlalchemy import update

from adapters.crypto.envelope import Envelope, KdfParams
from adapters.memory import InMemoryStore
from adapters.memory.store import UniqueKey
from adapters.sql.engine import PoolSettings
from adapters.sql.tables import wallets
from domain.audit import WalletEvent
from domain.model import KeyPair, User, Wallet, WalletBinding
from domain.ports import (
    Cipher,
    DeliveryRepository,
    EscrowRepository,
    KeyGenerator,
    PolicyRepository,
    SpendingRepository,
    UnitOfWork,
    UserRepository,
    WalletCreations,
    WalletEventRepository,
    WalletRepository,
)
from domain.recovery import Escrow
from domain.secrets import EncryptionKey, SecretSeed
from entrypoints.container import Container
from entrypoints.http.app import create_app
from entrypoints.settings import Settings

FAST_KDF = KdfParams(memory_kib=64, iterations=1)
TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
READ_ONLY_AUTH = {"Authorization": "Bearer read-only-test-token-0123"}
CREATE_ONLY_AUTH = {"Authorization": "Bearer create-only-test-token-01"}
SCOPED_TOKENS = ("read-only-test-token-0123:read", "create-only-test-token-01:create")
"""Tokens with one scope each, beside TOKEN (every scope), in `settings_for`'s settings."""
KEY = "correct horse battery staple"
OTHER_KEY = "another key, sixteen+ chars"


PATIENT_SECONDS = 30.0
"""The database deadline and pool wait of tests that are not about them. A CI run saw a lone
request of the OpenAPI fuzz test, on SQLite on tmpfs, pass the default 5 s (503 after a
TimeoutError): the test process had stalled in a full garbage collection of a heap that every
app made kept growing (tests/http/test_app_release.py). Stalls of a loaded machine are not
what those tests check; a lock or a connection never given back still fails them, 30 s later.
Tests about deadlines set their own, short ones."""


def settings_for(database_url: str, **changes: Any) -> Settings:
    """Settings for tests: cheap key stretching, one known token with every scope (and two with
    one scope each), and patient deadlines (PATIENT_SECONDS).
    """
    tokens = (TOKEN, *SCOPED_TOKENS)
    defaults = Settings(
        database_url=database_url,
        api_tokens=tokens,
        kdf=FAST_KDF,
        db_timeout=PATIENT_SECONDS,
        pool=PoolSettings(acquire_timeout=PATIENT_SECONDS),
    )
    return replace(defaults, **changes)


CREATION_STEPS = [
    "cipher.prepare",
    "wallets.get_by_existing_user",
    "key_generator.generate",
    "cipher.encrypt",
    "creations.add",
]
"""Every step of a wallet creation at which a fault can be injected."""


class InjectedFault(RuntimeError):
    """The failure a test asked for."""


def _port_methods(port: type) -> tuple[str, ...]:
    """The public methods a port declares, in the order it declares them."""
    return tuple(
        name for name, value in vars(port).items() if callable(value) and not name.startswith("_")
    )


REPOSITORY_PORTS: dict[str, type] = {
    "users": UserRepository,
    "wallets": WalletRepository,
    "events": WalletEventRepository,
    "escrows": EscrowRepository,
    "policies": PolicyRepository,
    "spending": SpendingRepository,
}
"""The repositories a unit of work exposes to the use cases, by attribute name. Not the outbox
(`deliveries`): only the webhook dispatcher calls it, at least once by design (a claim is
committed before its delivery is sent), and its failures are tested in test_webhook_delivery.
"""

REPOSITORY_STEPS = tuple(
    f"{name}.{method}" for name, port in REPOSITORY_PORTS.items() for method in _port_methods(port)
)
"""Every repository call of the ports, as `<repository>.<method>`."""


class Faults:
    """Which steps fail next: a named step the next time it is reached (`arm`), or whatever step
    is reached n-th from now (`arm_call`). Each armed fault fires once. Every step reached is
    recorded in `trace`, every step that failed in `fired`. A cipher step can also be made slow
    (`slow_down`), to widen a race window.
    """

    STEPS = (
        *REPOSITORY_STEPS,
        "commit",
        "creations.add",
        "key_generator.generate",
        "cipher.prepare",
        "cipher.ready_to_seal",
        "cipher.encrypt",
        "cipher.decrypt",
        "cipher.verify",
        "cipher.rewrap",
    )

    def __init__(self) -> None:
        self.armed: dict[str, Exception | None] = {}
        self.fired: list[str] = []
        self.trace: list[str] = []
        self._countdown: int | None = None
        self._countdown_error: Exception | None = None
        self._delays: dict[str, float] = {}

    def arm(self, step: str, error: Exception | None = None) -> None:
        """Fail `step` the next time it is reached, with `error` (default: InjectedFault)."""
        if step not in self.STEPS:
            raise ValueError(step)
        self.armed[step] = error

    def arm_call(self, index: int, error: Exception | None = None) -> None:
        """Fail the step reached `index`-th from now (0: the very next one), whatever it is."""
        if index < 0:
            raise ValueError(index)
        self._countdown, self._countdown_error = index, error

    def slow_down(self, step: str, seconds: float) -> None:
        """Make the cipher step `step` take `seconds` longer every time it is reached."""
        if not step.startswith("cipher."):
            raise ValueError(step)
        self._delays[step] = seconds

    async def pass_through(self, step: str) -> None:
        """Reach an async step: record it, fail it if armed, and take its extra time."""
        self.reached(step)
        if step in self._delays:
            await asyncio.sleep(self._delays[step])

    def disarm(self) -> None:
        """Forget every fault that has not fired."""
        self.armed.clear()
        self._countdown = self._countdown_error = None

    def reached(self, step: str) -> None:
        self.trace.append(step)
        if step in self.armed:
            self._fire(step, self.armed.pop(step))
        if self._countdown == 0:
            error, self._countdown, self._countdown_error = self._countdown_error, None, None
            self._fire(step, error)
        elif self._countdown is not None:
            self._countdown -= 1

    def _fire(self, step: str, error: Exception | None) -> None:
        self.fired.append(step)
        raise error or InjectedFault(step)


class _FaultyRepository:
    """A repository whose port methods reach `<name>.<method>` before calling the real one.
    Anything beyond the port is refused: a use case reaching past it is a bug.
    """

    def __init__(self, inner: object, name: str, faults: Faults) -> None:
        self._inner = inner
        self._name = name
        self._methods = _port_methods(REPOSITORY_PORTS[name])
        self._faults = faults

    def __getattr__(self, method: str) -> Callable[..., Awaitable[Any]]:
        if method.startswith("_") or method not in self._methods:
            raise AttributeError(method)
        call = getattr(self._inner, method)
        step = f"{self._name}.{method}"

        async def faulty(*args: Any, **kwargs: Any) -> Any:
            self._faults.reached(step)
            return await call(*args, **kwargs)

        return faulty


class FaultyWalletCreations:
    """WalletCreations whose `add` reaches `creations.add` before the real one's."""

    def __init__(self, inner: WalletCreations, faults: Faults) -> None:
        self._inner = inner
        self._faults = faults

    @property
    def add_first(self) -> bool:
        return self._inner.add_first

    async def add(self, wallet: Wallet, created: WalletEvent, escrow: Escrow | None) -> Wallet:
        self._faults.reached("creations.add")
        return await self._inner.add(wallet, created, escrow)


class AddingFirst:
    """WalletCreations that says `add_first` whatever the store: CreateUserWallet's adding-first
    path on every backend (on PostgreSQL it is the real one's).
    """

    add_first = True

    def __init__(self, inner: WalletCreations) -> None:
        self._inner = inner

    async def add(self, wallet: Wallet, created: WalletEvent, escrow: Escrow | None) -> Wallet:
        return await self._inner.add(wallet, created, escrow)


@contextmanager
def adding_first(container: Container) -> Iterator[None]:
    """Make the container's creations add first (AddingFirst) on every backend."""
    real = container.wallet_creations.providers[container.settings().backend]
    with container.wallet_creations.override(providers.Factory(lambda: AddingFirst(real()))):
        yield


class FaultyUnitOfWork:
    """A unit of work whose repository calls and commit fail when the faults say so."""

    users: UserRepository
    wallets: WalletRepository
    events: WalletEventRepository
    escrows: EscrowRepository
    policies: PolicyRepository
    spending: SpendingRepository
    deliveries: DeliveryRepository

    def __init__(self, inner: UnitOfWork, faults: Faults) -> None:
        self._inner = inner
        self._faults = faults

    async def __aenter__(self) -> Self:
        await self._inner.__aenter__()
        self.users = cast("UserRepository", self._wrap("users", self._inner.users))
        self.wallets = cast("WalletRepository", self._wrap("wallets", self._inner.wallets))
        self.events = cast("WalletEventRepository", self._wrap("events", self._inner.events))
        self.escrows = cast("EscrowRepository", self._wrap("escrows", self._inner.escrows))
        self.policies = cast("PolicyRepository", self._wrap("policies", self._inner.policies))
        self.spending = cast("SpendingRepository", self._wrap("spending", self._inner.spending))
        self.deliveries = self._inner.deliveries  # not one of REPOSITORY_PORTS
        return self

    def _wrap(self, name: str, repository: object) -> _FaultyRepository:
        return _FaultyRepository(repository, name, self._faults)

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


@dataclass
class StoreSnapshot:
    """A copy of everything an in-memory store holds: equal snapshots mean nothing changed."""

    users: dict[str, User]
    user_ids_by_email: dict[str, str]
    wallets_by_user: dict[str, Wallet]
    public_keys: set[str]
    events: dict[str, list[WalletEvent]]
    claims: dict[UniqueKey, asyncio.Event]
    locks: dict[str, asyncio.Event]

    @classmethod
    def of(cls, store: InMemoryStore) -> "StoreSnapshot":
        return cls(
            dict(store.users),
            dict(store.user_ids_by_email),
            dict(store.wallets_by_user),
            set(store.public_keys),
            {wallet_id: list(events) for wallet_id, events in store.events.items()},
            dict(store.claims),
            dict(store.locks),
        )


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

    async def prepare(self, key: EncryptionKey) -> EncryptionKey:
        await self._faults.pass_through("cipher.prepare")
        return await self._inner.prepare(key)

    async def ready_to_seal(self, key: EncryptionKey) -> EncryptionKey | None:
        await self._faults.pass_through("cipher.ready_to_seal")
        return await self._inner.ready_to_seal(key)

    async def encrypt(self, seed: SecretSeed, key: EncryptionKey, binding: WalletBinding) -> str:
        await self._faults.pass_through("cipher.encrypt")
        return await self._inner.encrypt(seed, key, binding)

    async def decrypt(
        self, envelope: str, key: EncryptionKey, binding: WalletBinding
    ) -> SecretSeed:
        await self._faults.pass_through("cipher.decrypt")
        return await self._inner.decrypt(envelope, key, binding)

    def opened_before(self, envelope: str, key: EncryptionKey, binding: WalletBinding) -> bool:
        # No step: the port says it derives, calls and raises nothing.
        return self._inner.opened_before(envelope, key, binding)

    async def verify(self, envelope: str, key: EncryptionKey, binding: WalletBinding) -> None:
        await self._faults.pass_through("cipher.verify")
        await self._inner.verify(envelope, key, binding)

    async def rewrap(self, envelope: str, binding: WalletBinding) -> str | None:
        await self._faults.pass_through("cipher.rewrap")
        return await self._inner.rewrap(envelope, binding)

    def is_current(self, envelope: str) -> bool:
        return self._inner.is_current(envelope)


@contextmanager
def faulty_creation(container: Container, faults: Faults) -> Iterator[FaultyKeyGenerator]:
    """Make the container's CreateUserWallet run on fault-injecting ports; yields the key
    generator, which remembers every seed it made."""
    real_reader, real_keys, real_cipher = (
        container.read_unit_of_work,
        container.key_generator(),
        container.cipher(),
    )
    key_generator = FaultyKeyGenerator(real_keys, faults)
    with container.create_user_wallet.override(
        providers.Factory(
            container.create_user_wallet.cls,
            reader=providers.Factory(lambda: FaultyUnitOfWork(real_reader(), faults)),
            creations=providers.Factory(
                lambda: FaultyWalletCreations(container.wallet_creations(), faults)
            ),
            key_generator=providers.Object(key_generator),
            cipher=providers.Object(FaultyCipher(real_cipher, faults)),
            owners=container.wallet_owners,
        )
    ):
        yield key_generator


@contextmanager
def faulty_ports(container: Container, faults: Faults) -> Iterator[FaultyKeyGenerator]:
    """Make every use case of the container run on fault-injecting ports: each unit of work (all
    its repositories and its commit, read-only ones too), the key generator and the cipher.
    Yields the key generator, which remembers every seed it made.
    """
    backend = container.settings().backend
    real_uow = container.unit_of_work.providers[backend]
    real_reader = container.read_unit_of_work.providers[backend]
    real_creations = container.wallet_creations.providers[backend]
    key_generator = FaultyKeyGenerator(container.key_generator(), faults)
    cipher = FaultyCipher(container.cipher(), faults)
    with (
        container.unit_of_work.override(
            providers.Factory(FaultyUnitOfWork, inner=real_uow, faults=providers.Object(faults))
        ),
        container.read_unit_of_work.override(
            providers.Factory(FaultyUnitOfWork, inner=real_reader, faults=providers.Object(faults))
        ),
        container.wallet_creations.override(
            providers.Factory(
                FaultyWalletCreations, inner=real_creations, faults=providers.Object(faults)
            )
        ),
        container.key_generator.override(providers.Object(key_generator)),
        container.cipher.override(providers.Object(cipher)),
    ):
        yield key_generator


@asynccontextmanager
async def http_client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app, in this event loop: concurrent requests really overlap."""
    transport = httpx.ASGITransport(app=create_app(container))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://wallets.test") as client:
        yield client


async def rewrite_envelope(
    container: Container, user_id: str, change: Callable[[Envelope], Envelope]
) -> None:
    """Store `change` of the user's envelope in place, behind the service's back (its checksum
    recomputed, as a deliberate attacker or a bad restore would leave it).
    """
    async with container.unit_of_work() as uow:
        stored = await uow.wallets.get_by_user(user_id)
    assert stored is not None
    altered = change(Envelope.parse(stored.encrypted_key)).to_text()
    if container.settings().backend == "memory":
        store = container.memory_store()
        store.wallets_by_user[user_id] = replace(stored, encrypted_key=altered)
        return
    async with container.engine().begin() as connection:
        statement = update(wallets).where(wallets.c.userId == user_id)
        await connection.execute(statement.values(encryptedKey=altered))


TESTNET = "Test SDF Network ; September 2015"


def payment_from(
    public_key: str,
    *,
    network: str = TESTNET,
    amount: str = "10",
    destination: str | None = None,
    sequence: int = 1234,
) -> str:
    """Base64 XDR of an unsigned payment of `amount` XLM from the account `public_key` to
    `destination` (a new random account by default), on `network`, valid for five minutes. A
    wallet signs only what is its own unless a policy says otherwise: pass its public key.
    """
    # Imported here: only the tests that build transactions need stellar-sdk.
    from stellar_sdk import Account, Asset, Keypair, TransactionBuilder  # noqa: PLC0415

    to = destination or Keypair.random().public_key
    builder = TransactionBuilder(Account(public_key, sequence), network, base_fee=100)
    builder.append_payment_op(to, Asset.native(), amount).set_timeout(300)
    return builder.build().to_xdr()
