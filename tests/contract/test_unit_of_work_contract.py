"""The unit of work's transaction contract, and the user repository it exposes, run against
in-memory, SQLite and PostgreSQL.
"""

import pytest

from domain.model import User, Wallet
from entrypoints.container import Container


async def test_commit_makes_writes_visible_to_later_units_of_work(
    container: Container, user: User
) -> None:
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


async def test_an_exception_rolls_back(container: Container, user: User) -> None:
    async def add_then_fail() -> None:
        async with container.unit_of_work() as uow:
            await uow.wallets.add(Wallet.create_for(user.id, "G" + "A" * 55, "wo1$envelope"))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await add_then_fail()
    async with container.unit_of_work() as uow:
        assert await uow.wallets.get_by_user(user.id) is None


async def test_a_unit_of_work_is_opened_once_at_a_time(container: Container) -> None:
    uow = container.unit_of_work()
    async with uow:
        with pytest.raises(RuntimeError, match="already open"):
            await uow.__aenter__()


async def test_a_closed_unit_of_work_opens_again_as_a_new_transaction(
    container: Container, user: User
) -> None:
    """Use cases read in one transaction, call a key-management backend with none open, then
    write in another, with the same unit of work.
    """
    uow = container.unit_of_work()
    async with uow:
        assert await uow.wallets.get_by_user(user.id) is None
    async with uow:
        await uow.wallets.add(Wallet.create_for(user.id, "G" + "B" * 55, "wo1$envelope"))
        await uow.commit()
    async with uow:
        stored = await uow.wallets.get_by_user(user.id)
    assert stored is not None
    assert stored.encrypted_key == "wo1$envelope"


async def test_commit_outside_the_block_is_refused(container: Container, user: User) -> None:
    uow = container.unit_of_work()
    with pytest.raises(RuntimeError, match="outside"):
        await uow.commit()
    async with uow:
        await uow.users.add(User.register("grace@example.com"))
    with pytest.raises(RuntimeError, match="outside"):
        await uow.commit()
    async with container.unit_of_work() as reader:
        assert await reader.users.get_by_email("grace@example.com") is None
        assert await reader.users.get(user.id) == user


@pytest.mark.usefixtures("overlapping_transactions")
async def test_uncommitted_writes_are_invisible_to_others(container: Container) -> None:
    user = User.register("ada@example.com")
    async with container.unit_of_work() as writer:
        await writer.users.add(user)
        async with container.unit_of_work() as reader:
            assert await reader.users.get(user.id) is None
            assert await reader.users.get_by_email(user.email) is None


async def test_user_add_refuses_a_taken_id_or_email(container: Container, user: User) -> None:
    async with container.unit_of_work() as uow:
        assert not await uow.users.add(User.register("other@example.com", user.id))
    async with container.unit_of_work() as uow:
        assert not await uow.users.add(User.register(user.email))
    async with container.unit_of_work() as uow:
        assert await uow.users.get_by_email("other@example.com") is None


async def test_unicode_and_sql_shaped_values_round_trip(container: Container) -> None:
    user = User.register("ü'; DROP TABLE users;--@例え.jp", "ユーザー\t'\"\\%_")
    async with container.unit_of_work() as uow:
        assert await uow.users.add(user)
        await uow.commit()
    async with container.unit_of_work() as uow:
        assert await uow.users.get(user.id) == user
        assert await uow.users.get_by_email(user.email) == user
