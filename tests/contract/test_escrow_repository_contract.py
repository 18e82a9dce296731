"""The escrow repository's contract (issue 16), run against in-memory, SQLite and PostgreSQL:
one escrow per wallet, put inserts or replaces, writes seen by their own unit of work and by
others only after commit, pages in wallet id order; on SQL the escrow goes with its wallet.
"""

from datetime import UTC, timedelta

import pytest
from sqlalchemy import delete, func, select

from adapters.sql.tables import users, wallet_escrows, wallets
from domain.model import User, Wallet, utc_now
from domain.recovery import Escrow
from entrypoints.container import Container
from tests.contract.conftest import AddUser, AddWallet

KEY_ID = "rk-0123456789abcdef"
OTHER_KEY_ID = "rk-fedcba9876543210"


def _escrow(wallet: Wallet, key_id: str = KEY_ID, sealed: str = "c2VhbGVk") -> Escrow:
    return Escrow(wallet.id, key_id, sealed, utc_now())


async def _wallets(add_user: AddUser, add_wallet: AddWallet, count: int) -> list[Wallet]:
    """`count` stored wallets, each of its own user, in id order."""
    owners = [await add_user(f"user{index}@example.com") for index in range(count)]
    return sorted([await add_wallet(owner) for owner in owners], key=lambda wallet: wallet.id)


async def _put(container: Container, *escrows: Escrow) -> None:
    async with container.unit_of_work() as uow:
        for escrow in escrows:
            await uow.escrows.put(escrow)
        await uow.commit()


async def _get(container: Container, wallet: Wallet) -> Escrow | None:
    async with container.unit_of_work() as uow:
        escrow: Escrow | None = await uow.escrows.get(wallet.id)
    return escrow


def _sql_only(container: Container) -> None:
    if container.settings().backend == "memory":
        pytest.skip("the in-memory store deletes no wallet or user")


async def test_nothing_is_escrowed_at_first(container: Container, wallet: Wallet) -> None:
    assert await _get(container, wallet) is None


async def test_put_is_seen_in_its_own_unit_of_work_and_in_others_after_commit(
    container: Container, wallet: Wallet
) -> None:
    escrow = _escrow(wallet)
    async with container.unit_of_work() as uow:
        await uow.escrows.put(escrow)
        assert await uow.escrows.get(wallet.id) == escrow
        await uow.commit()
    stored = await _get(container, wallet)
    assert stored == escrow
    assert stored is not None
    assert stored.created_at.tzinfo == UTC


async def test_a_put_in_the_same_unit_of_work_as_the_wallet_is_committed_with_it(
    container: Container, user: User
) -> None:
    wallet = Wallet.create_for(user.id, "G" + "E" * 55, "wo1$envelope")
    escrow = _escrow(wallet)
    async with container.unit_of_work() as uow:
        assert await uow.wallets.add(wallet) == wallet
        await uow.escrows.put(escrow)
        await uow.commit()
    assert await _get(container, wallet) == escrow


async def test_nothing_is_seen_after_leaving_without_commit(
    container: Container, wallet: Wallet
) -> None:
    async with container.unit_of_work() as uow:
        await uow.escrows.put(_escrow(wallet))
    assert await _get(container, wallet) is None


async def test_nothing_is_seen_after_an_exception(container: Container, wallet: Wallet) -> None:
    async def put_then_fail() -> None:
        async with container.unit_of_work() as uow:
            await uow.escrows.put(_escrow(wallet))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await put_then_fail()
    assert await _get(container, wallet) is None


async def test_a_rolled_back_replacement_keeps_the_committed_escrow(
    container: Container, wallet: Wallet
) -> None:
    committed = _escrow(wallet)
    await _put(container, committed)
    async with container.unit_of_work() as uow:
        await uow.escrows.put(_escrow(wallet, OTHER_KEY_ID, "b3RoZXI="))
        assert await uow.escrows.get(wallet.id) != committed
    assert await _get(container, wallet) == committed


@pytest.mark.usefixtures("overlapping_transactions")
async def test_an_uncommitted_put_is_invisible_to_others(
    container: Container, wallet: Wallet
) -> None:
    async with container.unit_of_work() as writer:
        await writer.escrows.put(_escrow(wallet))
        async with container.unit_of_work() as reader:
            assert await reader.escrows.get(wallet.id) is None


async def test_put_replaces_the_wallets_escrow(container: Container, wallet: Wallet) -> None:
    first = _escrow(wallet)
    await _put(container, first)
    second = Escrow(wallet.id, OTHER_KEY_ID, "bmV3", first.created_at + timedelta(seconds=5))
    await _put(container, second)
    assert await _get(container, wallet) == second


async def test_put_twice_in_one_unit_of_work_keeps_the_last(
    container: Container, wallet: Wallet
) -> None:
    last = _escrow(wallet, OTHER_KEY_ID, "bGFzdA==")
    await _put(container, _escrow(wallet), last)
    assert await _get(container, wallet) == last


async def test_each_wallet_has_its_own_escrow(
    container: Container, add_user: AddUser, add_wallet: AddWallet
) -> None:
    first, second = await _wallets(add_user, add_wallet, 2)
    mine, theirs = _escrow(first, sealed="bWluZQ=="), _escrow(second, OTHER_KEY_ID, "dGhlaXJz")
    await _put(container, mine, theirs)
    assert await _get(container, first) == mine
    assert await _get(container, second) == theirs
    await _put(container, _escrow(first, OTHER_KEY_ID))
    assert await _get(container, second) == theirs


async def _count_escrow_rows(container: Container) -> int:
    async with container.engine().connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(wallet_escrows)) or 0)


async def test_the_escrow_goes_when_its_wallet_is_deleted(
    container: Container, add_user: AddUser, add_wallet: AddWallet
) -> None:
    _sql_only(container)
    gone, kept = await _wallets(add_user, add_wallet, 2)
    await _put(container, _escrow(gone), _escrow(kept))
    async with container.engine().begin() as connection:
        await connection.execute(delete(wallets).where(wallets.c.id == gone.id))
    assert await _get(container, gone) is None
    assert await _get(container, kept) is not None
    assert await _count_escrow_rows(container) == 1


async def test_the_escrow_goes_when_its_user_is_deleted(
    container: Container, wallet: Wallet
) -> None:
    _sql_only(container)
    await _put(container, _escrow(wallet))
    async with container.engine().begin() as connection:
        await connection.execute(delete(users).where(users.c.id == wallet.user_id))
    assert await _get(container, wallet) is None
    assert await _count_escrow_rows(container) == 0
