"""The use cases on every backend: creation, replay, key mismatch, unknown users, faults."""

import asyncio

import pytest

from adapters.crypto.opened_envelopes import OpenedEnvelopes
from application.create_user_wallet import CreateWalletRequest
from application.register_user import RegisterUserRequest
from application.results import WalletResult
from domain.errors import (
    InvalidInput,
    UserConflict,
    UserNotFound,
    WalletKeyMismatch,
    WalletNotFound,
)
from domain.secrets import EncryptionKey, SecretSeed
from entrypoints.container import Container
from tests.support import (
    CREATION_STEPS,
    KEY,
    OTHER_KEY,
    Faults,
    InjectedFault,
    adding_first,
    faulty_creation,
)


async def _create(container: Container, user_id: str, key: str = KEY) -> WalletResult:
    with EncryptionKey.from_text(key) as encryption_key:
        return await container.create_user_wallet()(CreateWalletRequest(user_id, encryption_key))


async def _user(container: Container, user_id: str = "user-1") -> str:
    result = await container.register_user()(RegisterUserRequest(f"{user_id}@example.com", user_id))
    return result.id


async def test_create_then_replay_returns_the_same_wallet(container: Container) -> None:
    user_id = await _user(container)
    created = await _create(container, user_id)
    replayed = await _create(container, user_id)
    assert created.created
    assert not replayed.created
    assert (replayed.wallet_id, replayed.public_key) == (created.wallet_id, created.public_key)
    assert await container.get_wallet_by_user()(user_id) == replayed


async def test_replay_with_another_key_is_a_mismatch(container: Container) -> None:
    user_id = await _user(container)
    await _create(container, user_id)
    with pytest.raises(WalletKeyMismatch):
        await _create(container, user_id, OTHER_KEY)


async def test_unknown_user_gets_no_wallet(container: Container) -> None:
    with pytest.raises(UserNotFound):
        await _create(container, "nobody")
    with pytest.raises(WalletNotFound):
        await container.get_wallet_by_user()("nobody")


async def test_an_unknown_user_is_refused_before_a_key_is_derived_or_a_keypair_made(
    container: Container,
) -> None:
    cache = container.key_cache()
    faults = Faults()
    with faulty_creation(container, faults) as keys, pytest.raises(UserNotFound):
        await _create(container, "nobody")
    assert keys.seeds == []
    # A store that adds first asks whether the key is ready to seal: it is not (never derived).
    asked = ["cipher.ready_to_seal"] if container.wallet_creations().add_first else []
    assert faults.trace == [*asked, "wallets.get_by_existing_user"]
    assert cache.stats.derivations == 0
    await _create(container, await _user(container))  # the same key, for a user: derived
    assert cache.stats.derivations == 1


async def test_adding_first_under_a_warm_key_skips_the_read(container: Container) -> None:
    await _create(container, await _user(container, "warm"))  # the key is stretched, cached
    user_id = await _user(container)
    faults = Faults()
    with adding_first(container), faulty_creation(container, faults) as keys:
        result = await _create(container, user_id)
    assert result.created
    assert [keys.public_key_of(SecretSeed(seed)) for seed in keys.seeds] == [result.public_key]
    assert "wallets.get_by_existing_user" not in faults.trace
    assert faults.trace[0] == "cipher.ready_to_seal"
    assert faults.trace[-1] == "creations.add"
    assert container.key_cache().stats.derivations == 1
    assert (await container.get_wallet_by_user()(user_id)).wallet_id == result.wallet_id


async def test_adding_first_a_replay_gets_the_wallet_and_stores_nothing(
    container: Container,
) -> None:
    user_id = await _user(container)
    created = await _create(container, user_id)
    container.wallet_owners.reset()  # as in another process: this one never saw the wallet
    faults = Faults()
    with adding_first(container), faulty_creation(container, faults) as keys:
        replayed = await _create(container, user_id)
    assert not replayed.created
    assert (replayed.wallet_id, replayed.public_key) == (created.wallet_id, created.public_key)
    assert "wallets.get_by_existing_user" not in faults.trace
    assert len(keys.seeds) == 1  # a keypair sealed in vain, and stored nowhere
    async with container.unit_of_work() as uow:
        assert await uow.wallets.read_ids(None, 10) == [created.wallet_id]
        last = await uow.events.last(created.wallet_id)
    assert last is not None
    assert last.sequence == 1  # the creation's event alone


async def test_adding_first_a_user_lately_seen_with_a_wallet_is_read_first(
    container: Container,
) -> None:
    user_id = await _user(container)
    created = await _create(container, user_id)
    assert user_id in container.wallet_owners()
    faults = Faults()
    with adding_first(container), faulty_creation(container, faults) as keys:
        replayed = await _create(container, user_id)
    assert (replayed.created, replayed.wallet_id) == (False, created.wallet_id)
    # The key opened this envelope here (the creation's self-check): proven without preparing it.
    assert faults.trace == ["wallets.get_by_existing_user"]
    assert keys.seeds == []


async def test_a_replay_the_key_is_known_to_open_derives_nothing_even_with_a_cold_cache(
    container: Container,
) -> None:
    user_id = await _user(container)
    created = await _create(container, user_id)
    cache = container.key_cache()
    cache.clear()
    derived = cache.stats.derivations
    replayed = await _create(container, user_id)
    assert (replayed.created, replayed.wallet_id) == (False, created.wallet_id)
    assert cache.stats.derivations == derived
    with pytest.raises(WalletKeyMismatch):
        await _create(container, user_id, OTHER_KEY)


async def test_a_replay_the_key_is_not_known_to_open_is_prepared_and_verified(
    container: Container,
) -> None:
    user_id = await _user(container)
    created = await _create(container, user_id)
    container.cipher()._opened = OpenedEnvelopes(60.0)  # as another process would see it
    faults = Faults()
    with faulty_creation(container, faults) as keys:
        replayed = await _create(container, user_id)
    assert (replayed.created, replayed.wallet_id) == (False, created.wallet_id)
    assert faults.trace == ["wallets.get_by_existing_user", "cipher.prepare", "cipher.verify"]
    assert keys.seeds == []
    faults.trace.clear()
    with faulty_creation(container, faults):
        await _create(container, user_id)  # proven once more: known now
    assert faults.trace == ["wallets.get_by_existing_user"]


async def test_adding_first_an_unknown_user_is_refused_and_nothing_is_stored(
    container: Container,
) -> None:
    await _create(container, await _user(container, "warm"))
    with adding_first(container), pytest.raises(UserNotFound):
        await _create(container, "nobody")
    with pytest.raises(UserNotFound):
        await container.get_user()("nobody")
    assert container.key_cache().stats.derivations == 1


async def test_adding_first_a_warm_key_of_another_wallet_is_a_mismatch(
    container: Container,
) -> None:
    user_id = await _user(container)
    await _create(container, user_id)
    await _create(container, await _user(container, "other"), OTHER_KEY)  # warms OTHER_KEY
    container.wallet_owners.reset()
    with adding_first(container), pytest.raises(WalletKeyMismatch):
        await _create(container, user_id, OTHER_KEY)
    assert user_id in container.wallet_owners()


async def test_register_is_idempotent_and_detects_conflicts(container: Container) -> None:
    register = container.register_user
    first = await register()(RegisterUserRequest("ada@example.com", "ada"))
    assert first.created
    assert not (await register()(RegisterUserRequest("ada@example.com", "ada"))).created
    assert (await register()(RegisterUserRequest("ada@example.com"))).id == "ada"
    with pytest.raises(UserConflict):
        await register()(RegisterUserRequest("other@example.com", "ada"))
    with pytest.raises(UserConflict):
        await register()(RegisterUserRequest("ada@example.com", "someone-else"))
    generated = await register()(RegisterUserRequest("bob@example.com"))
    assert generated.created
    assert len(generated.id) == 36
    assert await container.get_user()(generated.id) == generated.__class__(
        generated.id, generated.email, generated.created_at
    )


@pytest.mark.parametrize(
    ("email", "user_id"),
    [
        ("", None),
        ("no-at-sign", None),
        ("@example.com", None),
        ("a@", None),
        ("a" * 250 + "@b.cd", None),
        ("a@b.c", ""),
        ("a@b.c", "x" * 129),
        ("a@b.c", "nul\x00"),
    ],
)
async def test_register_rejects_bad_input(
    container: Container, email: str, user_id: str | None
) -> None:
    with pytest.raises(InvalidInput):
        await container.register_user()(RegisterUserRequest(email, user_id))


async def test_concurrent_creations_give_one_wallet(container: Container) -> None:
    user_id = await _user(container)
    results = await asyncio.gather(*(_create(container, user_id) for _ in range(8)))
    assert sum(result.created for result in results) == 1
    assert len({result.wallet_id for result in results}) == 1


@pytest.mark.parametrize("step", CREATION_STEPS)
async def test_a_fault_at_any_step_leaves_nothing_and_the_next_call_succeeds(
    container: Container, step: str
) -> None:
    user_id = await _user(container)
    faults = Faults()
    with faulty_creation(container, faults):
        faults.arm(step)
        with pytest.raises(InjectedFault):
            await _create(container, user_id)
        assert faults.fired == [step]
        with pytest.raises(WalletNotFound):
            await container.get_wallet_by_user()(user_id)
        assert (await _create(container, user_id)).created
