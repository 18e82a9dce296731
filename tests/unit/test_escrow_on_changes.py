"""Escrow on every change of a wallet (issue 16), through the container: a creation stores the
seed sealed to the configured recovery key in the same commit as the wallet (a replay leaves it
be); rotating one key or all, and upgrading envelopes, seal it anew to the recovery key
configured now; without one nothing is escrowed; a commit that fails leaves nothing behind.
Each escrow is opened with the key rebuilt from the ceremony's shares, to the seed of the
wallet's public key. A redeploy with another recovery key is a second container on the same
store (in memory, shared; or one SQLite file).
"""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Self

import pytest
from dependency_injector import providers
from stellar_sdk import Keypair

from adapters.crypto.recovery import Ceremony, RebuiltRecoveryKey, new_recovery_key
from adapters.kms.memory import InMemoryKeyWrapper
from adapters.memory import InMemoryStore
from application.create_user_wallet import CreateWalletRequest
from application.register_user import RegisterUserRequest
from application.results import WalletResult
from application.rotate_encryption_key import RotateKeyRequest
from domain.errors import EscrowUnreadable
from domain.model import Wallet
from domain.ports import (
    EscrowOpener,
    EscrowRepository,
    UnitOfWork,
    UserRepository,
    WalletEventRepository,
    WalletRepository,
)
from domain.recovery import Escrow, RecoveryKey
from domain.secrets import EncryptionKey
from entrypoints.container import Container, open_container
from tests.support import KEY, OTHER_KEY, InjectedFault, settings_for

MEMORY = "memory://"
BATCH = 2
THIRD_KEY = "a third key, also sixteen+"


@pytest.fixture(scope="module")
def ceremony_a() -> Ceremony:
    return new_recovery_key(3, 2)


@pytest.fixture(scope="module")
def ceremony_b() -> Ceremony:
    return new_recovery_key(3, 2)


def _opener(ceremony: Ceremony) -> EscrowOpener:
    return RebuiltRecoveryKey(list(ceremony.shares[1:]))


class Deployments:
    """Containers on one database, each with settings of its own, as redeploys would be."""

    def __init__(self, url: str, stack: AsyncExitStack) -> None:
        self._url = url
        self._stack = stack
        self._store: InMemoryStore | None = None

    async def open(
        self, recovery_key: RecoveryKey | None, wrapper: InMemoryKeyWrapper | None = None
    ) -> Container:
        settings = settings_for(self._url, recovery_key=recovery_key, rotation_batch_size=BATCH)
        container = await self._stack.enter_async_context(open_container(settings))
        if self._url == MEMORY:
            if self._store is None:
                self._store = container.memory_store()
            else:
                container.memory_store.override(providers.Object(self._store))
        if wrapper is not None:
            container.key_wrapper.override(providers.Object(wrapper))
        return container


@pytest.fixture(params=["memory", "sqlite"])
async def deployments(
    request: pytest.FixtureRequest, tmp_path: pytest.TempPathFactory
) -> AsyncIterator[Deployments]:
    url = MEMORY if request.param == "memory" else f"sqlite:///{tmp_path}/wallets.db"
    async with AsyncExitStack() as stack:
        yield Deployments(url, stack)


class CommitWatch:
    """What each commit made visible (wallet ids and escrows of the in-memory store), and a
    fault to raise at the next commit instead of committing."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store
        self.after_commits: list[tuple[set[str], dict[str, Escrow]]] = []
        self.fail_next = False

    def committed(self) -> None:
        wallet_ids = {wallet.id for wallet in self.store.wallets_by_user.values()}
        self.after_commits.append((wallet_ids, dict(self.store.escrows)))


class WatchedUnitOfWork:
    """A unit of work whose commits are watched (and can be made to fail)."""

    users: UserRepository
    wallets: WalletRepository
    events: WalletEventRepository
    escrows: EscrowRepository

    def __init__(self, inner: UnitOfWork, watch: CommitWatch) -> None:
        self._inner = inner
        self._watch = watch

    async def __aenter__(self) -> Self:
        await self._inner.__aenter__()
        self.users, self.wallets = self._inner.users, self._inner.wallets
        self.events, self.escrows = self._inner.events, self._inner.escrows
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._inner.__aexit__(exc_type, exc, traceback)

    async def commit(self) -> None:
        if self._watch.fail_next:
            self._watch.fail_next = False
            raise InjectedFault("commit")
        await self._inner.commit()
        self._watch.committed()


def _watch(container: Container) -> CommitWatch:
    """Watch every commit of the (in-memory) container's units of work from now on."""
    watch = CommitWatch(container.memory_store())
    real = container.unit_of_work.providers["memory"]
    container.unit_of_work.override(
        providers.Factory(WatchedUnitOfWork, inner=real, watch=providers.Object(watch))
    )
    return watch


@pytest.fixture
async def memory_a(ceremony_a: Ceremony) -> AsyncIterator[Container]:
    """In memory, escrowing to ceremony A's key."""
    settings = settings_for(MEMORY, recovery_key=ceremony_a.recovery_key)
    async with open_container(settings) as container:
        yield container


async def _create(container: Container, user_id: str, key: str = KEY) -> WalletResult:
    await container.register_user()(RegisterUserRequest(f"{user_id}@example.com", user_id))
    return await _replay(container, user_id, key)


async def _replay(container: Container, user_id: str, key: str = KEY) -> WalletResult:
    with EncryptionKey.from_text(key) as encryption_key:
        return await container.create_user_wallet()(CreateWalletRequest(user_id, encryption_key))


async def _rotate(container: Container, user_id: str, key: str, new_key: str) -> None:
    with EncryptionKey.from_text(key) as old, EncryptionKey.from_text(new_key) as new:
        await container.rotate_encryption_key()(RotateKeyRequest(user_id, old, new))


async def _rotate_all(container: Container, key: str, new_key: str) -> None:
    with EncryptionKey.from_text(key) as old, EncryptionKey.from_text(new_key) as new:
        await container.rotate_all_keys()(old, new)


async def _wallet(container: Container, user_id: str) -> Wallet:
    async with container.unit_of_work() as uow:
        wallet: Wallet | None = await uow.wallets.get_by_user(user_id)
    assert wallet is not None
    return wallet


async def _escrow(container: Container, wallet_id: str) -> Escrow | None:
    async with container.unit_of_work() as uow:
        escrow: Escrow | None = await uow.escrows.get(wallet_id)
    return escrow


async def _all_escrows(container: Container) -> list[Escrow]:
    """Every wallet's escrow, in wallet id order."""
    async with container.unit_of_work() as uow:
        escrows = [await uow.escrows.get(i) for i in await uow.wallets.read_ids(None, 1000)]
    return [escrow for escrow in escrows if escrow is not None]


def _public_key_in(opener: EscrowOpener, escrow: Escrow) -> str:
    """The Stellar public key of the seed the escrow holds."""
    with opener.open(escrow.sealed_seed) as seed:
        return Keypair.from_raw_ed25519_seed(bytes(seed.reveal())).public_key


async def _assert_escrowed_to(
    container: Container, user_id: str, ceremony: Ceremony, *, not_to: Ceremony | None = None
) -> Escrow:
    """The user's wallet has an escrow under the ceremony's key that opens, with the key
    rebuilt from its shares, to the seed of the wallet's public key (and not with `not_to`)."""
    wallet = await _wallet(container, user_id)
    escrow = await _escrow(container, wallet.id)
    assert escrow is not None
    assert escrow.wallet_id == wallet.id
    assert escrow.recovery_key_id == ceremony.recovery_key.key_id
    assert _public_key_in(_opener(ceremony), escrow) == wallet.public_key
    if not_to is not None:
        with pytest.raises(EscrowUnreadable):
            _opener(not_to).open(escrow.sealed_seed)
    return escrow


# Creation


async def test_a_creation_stores_its_escrow_in_the_same_commit(
    memory_a: Container, ceremony_a: Ceremony
) -> None:
    watch = _watch(memory_a)
    created = await _create(memory_a, "ada")
    escrow = await _assert_escrowed_to(memory_a, "ada", ceremony_a)
    first = next(i for i, (ids, _) in enumerate(watch.after_commits) if created.wallet_id in ids)
    assert watch.after_commits[first][1] == {created.wallet_id: escrow}
    assert all(created.wallet_id not in escrows for _, escrows in watch.after_commits[:first])


async def test_each_wallet_gets_an_escrow_of_its_own_seed(
    deployments: Deployments, ceremony_a: Ceremony, ceremony_b: Ceremony
) -> None:
    container = await deployments.open(ceremony_a.recovery_key)
    users = ["ada", "bob", "cy"]
    for user_id in users:
        await _create(container, user_id)
    escrows = [
        await _assert_escrowed_to(container, u, ceremony_a, not_to=ceremony_b) for u in users
    ]
    assert len({escrow.sealed_seed for escrow in escrows}) == len(users)
    assert await _all_escrows(container) == sorted(escrows, key=lambda escrow: escrow.wallet_id)


async def test_a_replay_does_not_change_the_escrow(
    deployments: Deployments, ceremony_a: Ceremony, ceremony_b: Ceremony
) -> None:
    container = await deployments.open(ceremony_a.recovery_key)
    await _create(container, "ada")
    escrow = await _assert_escrowed_to(container, "ada", ceremony_a)
    replayed = await _replay(container, "ada")
    assert not replayed.created
    assert await _escrow(container, replayed.wallet_id) == escrow

    redeployed = await deployments.open(ceremony_b.recovery_key)
    assert not (await _replay(redeployed, "ada")).created
    assert await _escrow(redeployed, replayed.wallet_id) == escrow


async def test_without_a_recovery_key_nothing_is_escrowed(deployments: Deployments) -> None:
    container = await deployments.open(None)
    for user_id in ("ada", "bob", "cy"):
        await _create(container, user_id)
    await _replay(container, "ada")
    await _rotate(container, "ada", KEY, OTHER_KEY)
    with EncryptionKey.from_text(KEY) as old, EncryptionKey.from_text(THIRD_KEY) as new:
        progress = await container.rotate_all_keys()(old, new)
    assert progress.rotated == 2
    assert await _all_escrows(container) == []


async def test_a_creation_failing_at_commit_leaves_neither_wallet_nor_escrow(
    memory_a: Container, ceremony_a: Ceremony
) -> None:
    await memory_a.register_user()(RegisterUserRequest("ada@example.com", "ada"))
    watch = _watch(memory_a)
    watch.fail_next = True
    with pytest.raises(InjectedFault):
        await _replay(memory_a, "ada")
    store = memory_a.memory_store()
    assert store.wallets_by_user == {}
    assert store.public_keys == set()
    assert store.escrows == {}
    assert await _all_escrows(memory_a) == []

    created = await _replay(memory_a, "ada")
    assert created.created
    await _assert_escrowed_to(memory_a, "ada", ceremony_a)
    assert set(store.escrows) == {created.wallet_id}


# Changes under the recovery key configured now


async def test_rotating_one_key_escrows_the_wallet_under_the_configured_recovery_key(
    deployments: Deployments, ceremony_a: Ceremony, ceremony_b: Ceremony
) -> None:
    before = await deployments.open(ceremony_a.recovery_key)
    await _create(before, "ada")
    await _create(before, "bob")
    under_a = await _assert_escrowed_to(before, "ada", ceremony_a, not_to=ceremony_b)
    bobs = await _assert_escrowed_to(before, "bob", ceremony_a)

    after = await deployments.open(ceremony_b.recovery_key)
    await _rotate(after, "ada", KEY, OTHER_KEY)
    under_b = await _assert_escrowed_to(after, "ada", ceremony_b, not_to=ceremony_a)
    assert under_b.sealed_seed != under_a.sealed_seed
    assert under_b.created_at >= under_a.created_at
    assert (await _wallet(after, "ada")).public_key == (await _wallet(before, "ada")).public_key
    assert await _escrow(after, bobs.wallet_id) == bobs  # only the rotated wallet moves


async def test_rotating_all_keys_escrows_each_wallet_under_the_configured_recovery_key(
    deployments: Deployments, ceremony_a: Ceremony, ceremony_b: Ceremony
) -> None:
    before = await deployments.open(ceremony_a.recovery_key)
    mine = ["ada", "bob", "cy", "dee", "eve"]  # more than one batch
    for user_id in mine:
        await _create(before, user_id)
    await _create(before, "theirs", THIRD_KEY)
    theirs = await _assert_escrowed_to(before, "theirs", ceremony_a)

    after = await deployments.open(ceremony_b.recovery_key)
    with EncryptionKey.from_text(KEY) as old, EncryptionKey.from_text(OTHER_KEY) as new:
        progress = await after.rotate_all_keys()(old, new)
    assert progress.rotated == len(mine)
    assert len(progress.unopenable) == 1
    for user_id in mine:
        await _assert_escrowed_to(after, user_id, ceremony_b, not_to=ceremony_a)
    assert await _escrow(after, theirs.wallet_id) == theirs  # a wallet not rotated keeps its own


async def test_a_dry_run_of_rotating_all_keys_changes_no_escrow(
    deployments: Deployments, ceremony_a: Ceremony, ceremony_b: Ceremony
) -> None:
    before = await deployments.open(ceremony_a.recovery_key)
    for user_id in ("ada", "bob", "cy"):
        await _create(before, user_id)
    escrows = await _all_escrows(before)

    after = await deployments.open(ceremony_b.recovery_key)
    with EncryptionKey.from_text(KEY) as old, EncryptionKey.from_text(OTHER_KEY) as new:
        progress = await after.rotate_all_keys()(old, new, dry_run=True)
    assert progress.rotated == 3
    assert await _all_escrows(after) == escrows


async def test_upgrading_envelopes_escrows_them_under_the_configured_recovery_key(
    deployments: Deployments, ceremony_a: Ceremony, ceremony_b: Ceremony
) -> None:
    before = await deployments.open(ceremony_a.recovery_key)
    for user_id in ("ada", "bob", "cy"):
        await _create(before, user_id)
    assert (await _wallet(before, "ada")).encrypted_key.startswith("wo1$")

    after = await deployments.open(ceremony_b.recovery_key, wrapper=InMemoryKeyWrapper())
    with EncryptionKey.from_text(KEY) as key:
        progress = await after.upgrade_envelopes()(key)
    assert progress.upgraded == 3
    for user_id in ("ada", "bob", "cy"):
        assert (await _wallet(after, user_id)).encrypted_key.startswith("wo2$")
        await _assert_escrowed_to(after, user_id, ceremony_b, not_to=ceremony_a)


async def test_a_wallet_created_without_a_recovery_key_is_escrowed_when_rotated_with_one(
    deployments: Deployments, ceremony_a: Ceremony
) -> None:
    before = await deployments.open(None)
    await _create(before, "ada")
    await _create(before, "bob")
    assert await _all_escrows(before) == []

    after = await deployments.open(ceremony_a.recovery_key)
    await _rotate(after, "ada", KEY, OTHER_KEY)
    await _assert_escrowed_to(after, "ada", ceremony_a)
    await _rotate_all(after, KEY, THIRD_KEY)
    await _assert_escrowed_to(after, "bob", ceremony_a)


async def test_a_rotation_without_a_recovery_key_leaves_the_escrow_it_had(
    deployments: Deployments, ceremony_a: Ceremony
) -> None:
    """The seed does not change on rotation: the escrow made earlier still holds it."""
    before = await deployments.open(ceremony_a.recovery_key)
    await _create(before, "ada")
    escrow = await _assert_escrowed_to(before, "ada", ceremony_a)

    after = await deployments.open(None)
    await _rotate(after, "ada", KEY, OTHER_KEY)
    assert await _escrow(after, escrow.wallet_id) == escrow
    await _assert_escrowed_to(after, "ada", ceremony_a)


@pytest.mark.parametrize("bulk", [False, True], ids=["one", "all"])
async def test_a_rotation_failing_at_commit_keeps_the_escrow_it_had(
    ceremony_a: Ceremony, ceremony_b: Ceremony, bulk: bool
) -> None:
    store = InMemoryStore()
    settings_a = settings_for(MEMORY, recovery_key=ceremony_a.recovery_key)
    settings_b = settings_for(MEMORY, recovery_key=ceremony_b.recovery_key)
    async with open_container(settings_a) as before, open_container(settings_b) as after:
        before.memory_store.override(providers.Object(store))
        after.memory_store.override(providers.Object(store))
        await _create(before, "ada")
        escrow = await _assert_escrowed_to(before, "ada", ceremony_a)
        envelope = (await _wallet(before, "ada")).encrypted_key

        watch = _watch(after)
        watch.fail_next = True
        with pytest.raises(InjectedFault):
            await (
                _rotate_all(after, KEY, OTHER_KEY)
                if bulk
                else _rotate(after, "ada", KEY, OTHER_KEY)
            )
        assert await _escrow(after, escrow.wallet_id) == escrow
        assert (await _wallet(after, "ada")).encrypted_key == envelope

        await _rotate(after, "ada", KEY, OTHER_KEY)
        await _assert_escrowed_to(after, "ada", ceremony_b, not_to=ceremony_a)
