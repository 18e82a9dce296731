"""The wallet repository's contract, run against in-memory, SQLite and PostgreSQL."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC
from typing import TypeVar

import pytest

from domain.audit import EventType, WalletEvent
from domain.errors import PublicKeyTaken, UserNotFound
from domain.model import User, Wallet, WalletStatus
from domain.ports import UnitOfWork
from entrypoints.container import Container
from tests.contract.conftest import AddUser, AddWallet

PUBLIC_KEY_A = "G" + "A" * 55
PUBLIC_KEY_B = "G" + "B" * 55
STILL_WAITING = 0.1
"""Seconds a unit of work must stay blocked to count as waiting for a lock."""
T = TypeVar("T")


def _wallet(user: User, public_key: str = PUBLIC_KEY_A) -> Wallet:
    return Wallet.create_for(user.id, public_key, "wo1$envelope")


async def _wallets(add_user: AddUser, add_wallet: AddWallet, count: int) -> list[Wallet]:
    """`count` stored wallets, each of its own user, in id order."""
    users = [await add_user(f"user{index}@example.com") for index in range(count)]
    return sorted([await add_wallet(user) for user in users], key=lambda wallet: wallet.id)


async def _walk(
    read_page: Callable[[str | None], Awaitable[list[T]]], id_of: Callable[[T], str]
) -> list[list[T]]:
    """Every page, each read after the last id of the previous one, until an empty page."""
    pages: list[list[T]] = []
    after: str | None = None
    while page := await read_page(after):
        pages.append(page)
        after = id_of(page[-1])
    return pages


def _id_of(wallet: Wallet) -> str:
    return wallet.id


async def _lock(uow: UnitOfWork, wallet: Wallet, method: str) -> Wallet:
    """The wallet, read and locked by `method`."""
    if method == "page_for_update":
        [locked] = await uow.wallets.page_for_update(None, 10)
        return locked
    got = await uow.wallets.get_by_user(wallet.user_id, for_update=True)
    assert got is not None
    return got


def _lock_in_a_new_unit_of_work(
    container: Container, wallet: Wallet, method: str
) -> asyncio.Task[Wallet]:
    async def lock() -> Wallet:
        async with container.unit_of_work() as uow:
            return await _lock(uow, wallet, method)

    return asyncio.create_task(lock())


async def _still_waiting(task: asyncio.Task[Wallet]) -> bool:
    done, _ = await asyncio.wait({task}, timeout=STILL_WAITING)
    return not done


async def test_wallet_round_trips_with_utc_timestamps(container: Container, user: User) -> None:
    wallet = _wallet(user)
    async with container.unit_of_work() as uow:
        assert await uow.wallets.add(wallet) == wallet
        await uow.commit()
    async with container.unit_of_work() as uow:
        stored = await uow.wallets.get_by_user(user.id)
    assert stored == wallet
    assert stored is not None
    assert stored.created_at.tzinfo == UTC


async def test_one_read_tells_no_such_user_from_no_wallet_yet(
    container: Container, add_user: AddUser, add_wallet: AddWallet
) -> None:
    with_wallet, without = await add_user("ada@example.com"), await add_user("bob@example.com")
    wallet = await add_wallet(with_wallet)
    staged = User.register("cy@example.com")
    async with container.unit_of_work() as uow:
        assert await uow.wallets.get_by_existing_user(with_wallet.id) == wallet
        assert await uow.wallets.get_by_existing_user(without.id) is None
        with pytest.raises(UserNotFound):
            await uow.wallets.get_by_existing_user("nobody")
        assert await uow.users.add(staged)
        assert await uow.wallets.get_by_existing_user(staged.id) is None  # its own writes


async def test_second_wallet_for_a_user_returns_the_first(
    container: Container, user: User, wallet: Wallet
) -> None:
    async with container.unit_of_work() as uow:
        assert await uow.wallets.add(_wallet(user, PUBLIC_KEY_B)) == wallet
        await uow.commit()
    async with container.unit_of_work() as uow:
        assert await uow.wallets.get_by_user(user.id) == wallet


async def test_add_inserts_the_created_event_with_the_wallet(
    container: Container, user: User
) -> None:
    wallet = _wallet(user)
    created = WalletEvent.after(None, wallet.id, EventType.CREATED, None)
    async with container.unit_of_work() as uow:
        await uow.wallets.add(wallet, created)
        await uow.commit()
    async with container.unit_of_work() as uow:
        assert await uow.events.after(wallet.id, 0, 10) == [created]


async def test_add_drops_the_created_event_of_a_wallet_it_does_not_insert(
    container: Container, user: User, wallet: Wallet
) -> None:
    loser = _wallet(user, PUBLIC_KEY_B)
    async with container.unit_of_work() as uow:
        await uow.wallets.add(loser, WalletEvent.after(None, loser.id, EventType.CREATED, None))
        await uow.commit()
    async with container.unit_of_work() as uow:
        assert await uow.events.last(loser.id) is None


async def test_wallet_for_an_unknown_user_is_refused(container: Container) -> None:
    ghost = User.register("ghost@example.com")
    async with container.unit_of_work() as uow:
        with pytest.raises(UserNotFound):
            await uow.wallets.add(_wallet(ghost))


async def test_a_public_key_belongs_to_one_wallet(
    container: Container, add_user: AddUser, add_wallet: AddWallet
) -> None:
    wallet = await add_wallet(await add_user("ada@example.com"))
    bob = await add_user("bob@example.com")
    async with container.unit_of_work() as uow:
        with pytest.raises(PublicKeyTaken):
            await uow.wallets.add(_wallet(bob, wallet.public_key))


@pytest.mark.parametrize("first_commits", [True, False])
async def test_concurrent_wallet_inserts_for_one_user(
    container: Container, user: User, first_commits: bool
) -> None:
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


async def test_update_stores_the_mutable_fields(container: Container, wallet: Wallet) -> None:
    changed = wallet.reencrypted("wo1$other").with_status(WalletStatus.SUSPENDED).marked_exported()
    async with container.unit_of_work() as uow:
        await uow.wallets.get_by_user(wallet.user_id, for_update=True)
        await uow.wallets.update(changed)
        await uow.commit()
    async with container.unit_of_work() as uow:
        assert await uow.wallets.get_by_user(wallet.user_id) == changed


async def test_update_rolls_back_without_commit(container: Container, wallet: Wallet) -> None:
    async with container.unit_of_work() as uow:
        await uow.wallets.get_by_user(wallet.user_id, for_update=True)
        await uow.wallets.update(wallet.with_status(WalletStatus.SUSPENDED))
    async with container.unit_of_work() as uow:
        assert await uow.wallets.get_by_user(wallet.user_id) == wallet


@pytest.mark.usefixtures("overlapping_transactions")
async def test_an_uncommitted_update_is_invisible_to_others(
    container: Container, wallet: Wallet
) -> None:
    async with container.unit_of_work() as writer:
        await writer.wallets.get_by_user(wallet.user_id, for_update=True)
        await writer.wallets.update(wallet.with_status(WalletStatus.SUSPENDED))
        async with container.unit_of_work() as reader:
            assert await reader.wallets.get_by_user(wallet.user_id) == wallet


async def test_read_ids_walks_every_wallet_once_in_id_order(
    container: Container, add_user: AddUser, add_wallet: AddWallet
) -> None:
    ids = [wallet.id for wallet in await _wallets(add_user, add_wallet, 5)]
    async with container.unit_of_work() as uow:
        pages = await _walk(
            lambda after: uow.wallets.read_ids(after, 2), lambda wallet_id: wallet_id
        )
    assert pages == [ids[0:2], ids[2:4], ids[4:]]


async def test_page_for_update_walks_every_wallet_once_in_id_order(
    container: Container, add_user: AddUser, add_wallet: AddWallet
) -> None:
    wallets = await _wallets(add_user, add_wallet, 5)
    async with container.unit_of_work() as uow:
        pages = await _walk(lambda after: uow.wallets.page_for_update(after, 2), _id_of)
    assert pages == [wallets[0:2], wallets[2:4], wallets[4:]]


# SQLite runs these too: its second unit of work waits to begin (BEGIN IMMEDIATE) rather than
# at the locking read, which keeps the same promise.
@pytest.mark.parametrize("waiter", ["get_by_user", "page_for_update"])
@pytest.mark.parametrize("holder", ["get_by_user", "page_for_update"])
async def test_a_wallet_locked_for_update_waits_for_its_holder_to_commit(
    container: Container, wallet: Wallet, holder: str, waiter: str
) -> None:
    async with container.unit_of_work() as first:
        locked = await _lock(first, wallet, holder)
        second = _lock_in_a_new_unit_of_work(container, wallet, waiter)
        assert await _still_waiting(second)
        await first.wallets.update(locked.reencrypted("wo1$new"))
        await first.commit()
    assert (await second).encrypted_key == "wo1$new"


async def test_a_lock_ends_with_a_unit_of_work_left_without_commit(
    container: Container, wallet: Wallet
) -> None:
    async with container.unit_of_work() as first:
        locked = await _lock(first, wallet, "get_by_user")
        second = _lock_in_a_new_unit_of_work(container, wallet, "get_by_user")
        assert await _still_waiting(second)
        await first.wallets.update(locked.reencrypted("wo1$new"))
    assert await second == wallet


@pytest.mark.usefixtures("overlapping_transactions")
async def test_read_ids_does_not_wait_for_a_lock(container: Container, wallet: Wallet) -> None:
    async with container.unit_of_work() as holder:
        await _lock(holder, wallet, "page_for_update")
        async with container.unit_of_work() as reader:
            assert await asyncio.wait_for(reader.wallets.read_ids(None, 10), timeout=5) == [
                wallet.id
            ]
