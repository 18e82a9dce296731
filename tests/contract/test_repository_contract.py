"""The repository and unit-of-work contract, run against in-memory, SQLite and PostgreSQL."""

import asyncio
from datetime import UTC

import pytest

from domain.errors import PublicKeyTaken, UserNotFound
from domain.model import User, Wallet
from entrypoints.container import Container

PUBLIC_KEY_A = "G" + "A" * 55
PUBLIC_KEY_B = "G" + "B" * 55


def _wallet(user: User, public_key: str = PUBLIC_KEY_A) -> Wallet:
    return Wallet.create_for(user.id, public_key, "wo1$envelope")


async def _stored_user(container: Container, email: str = "ada@example.com") -> User:
    user = User.register(email)
    async with container.unit_of_work() as uow:
        assert await uow.users.add(user)
        await uow.commit()
    return user


async def test_commit_makes_writes_visible_to_later_units_of_work(container: Container) -> None:
    user = await _stored_user(container)
    async with container.unit_of_work() as uow:
        assert await uow.users.get(user.id) == user
        assert await uow.users.get_by_email(user.email) == user


async def test_leaving_without_commit_rolls_back(container: Container) -> None:
    user = User.register("ada@example.com")
    async with container.unit_of_work() as uow:
        assert await uow.users.add(user)
        assert await uow.users.get(user.id) == user
    async with container.unit_of_work() as uow:
        assert await uow.users.get(user.id) is None


async def test_an_exception_rolls_back(container: Container) -> None:
    user = await _stored_user(container)

    async def add_then_fail() -> None:
        async with container.unit_of_work() as uow:
            await uow.wallets.add(_wallet(user))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await add_then_fail()
    async with container.unit_of_work() as uow:
        assert await uow.wallets.get_by_user(user.id) is None


async def test_user_add_refuses_a_taken_id_or_email(container: Container) -> None:
    user = await _stored_user(container)
    async with container.unit_of_work() as uow:
        assert not await uow.users.add(User.register("other@example.com", user.id))
    async with container.unit_of_work() as uow:
        assert not await uow.users.add(User.register(user.email))
    async with container.unit_of_work() as uow:
        assert await uow.users.get_by_email("other@example.com") is None


async def test_wallet_round_trips_with_utc_timestamps(container: Container) -> None:
    user = await _stored_user(container)
    wallet = _wallet(user)
    async with container.unit_of_work() as uow:
        assert await uow.wallets.add(wallet) == wallet
        await uow.commit()
    async with container.unit_of_work() as uow:
        stored = await uow.wallets.get_by_user(user.id)
    assert stored == wallet
    assert stored is not None
    assert stored.created_at.tzinfo == UTC


async def test_second_wallet_for_a_user_returns_the_first(container: Container) -> None:
    user = await _stored_user(container)
    first = _wallet(user)
    async with container.unit_of_work() as uow:
        await uow.wallets.add(first)
        await uow.commit()
    async with container.unit_of_work() as uow:
        assert await uow.wallets.add(_wallet(user, PUBLIC_KEY_B)) == first
        await uow.commit()
    async with container.unit_of_work() as uow:
        assert await uow.wallets.get_by_user(user.id) == first


async def test_wallet_for_an_unknown_user_is_refused(container: Container) -> None:
    ghost = User.register("ghost@example.com")
    async with container.unit_of_work() as uow:
        with pytest.raises(UserNotFound):
            await uow.wallets.add(_wallet(ghost))


async def test_a_public_key_belongs_to_one_wallet(container: Container) -> None:
    ada = await _stored_user(container)
    bob = await _stored_user(container, "bob@example.com")
    async with container.unit_of_work() as uow:
        await uow.wallets.add(_wallet(ada))
        await uow.commit()
    async with container.unit_of_work() as uow:
        with pytest.raises(PublicKeyTaken):
            await uow.wallets.add(_wallet(bob))


async def test_unicode_and_sql_shaped_values_round_trip(container: Container) -> None:
    user = User.register("ü'; DROP TABLE users;--@例え.jp", "ユーザー\t'\"\\%_")
    async with container.unit_of_work() as uow:
        assert await uow.users.add(user)
        await uow.commit()
    async with container.unit_of_work() as uow:
        assert await uow.users.get(user.id) == user
        assert await uow.users.get_by_email(user.email) == user


async def test_uncommitted_writes_are_invisible_to_others(container: Container) -> None:
    if container.settings().database_url.startswith("sqlite"):
        pytest.skip("SQLite serialises transactions: a second one cannot start to look")
    user = User.register("ada@example.com")
    async with container.unit_of_work() as writer:
        await writer.users.add(user)
        async with container.unit_of_work() as reader:
            assert await reader.users.get(user.id) is None
            assert await reader.users.get_by_email(user.email) is None


@pytest.mark.parametrize("first_commits", [True, False])
async def test_concurrent_wallet_inserts_for_one_user(
    container: Container, first_commits: bool
) -> None:
    user = await _stored_user(container)
    first, second = _wallet(user), _wallet(user, PUBLIC_KEY_B)
    first_added = asyncio.Event()

    async def first_writer() -> None:
        async with container.unit_of_work() as uow:
            assert await uow.wallets.add(first) == first
            first_added.set()
            await asyncio.sleep(0.2)
            if first_commits:
                await uow.commit()

    async def second_writer() -> Wallet:
        await first_added.wait()
        async with container.unit_of_work() as uow:
            stored: Wallet = await uow.wallets.add(second)
            await uow.commit()
            return stored

    _, stored = await asyncio.gather(first_writer(), second_writer())
    expected = first if first_commits else second
    assert stored == expected
    async with container.unit_of_work() as uow:
        assert await uow.wallets.get_by_user(user.id) == expected
