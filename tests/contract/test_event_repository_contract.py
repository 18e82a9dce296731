"""The wallet event repository's contract, run against in-memory, SQLite and PostgreSQL.

Not tested: appending an event whose sequence is already taken. The port makes that the
caller's precondition (hold the wallet `for_update`, follow `last`), not a promise of its own.
"""

import pytest

from domain.audit import EventType, WalletEvent
from domain.model import Wallet
from entrypoints.container import Container
from tests.contract.conftest import AddUser, AddWallet


def _chain(wallet: Wallet, count: int) -> list[WalletEvent]:
    """The wallet's first `count` events, each following the previous one."""
    events = [WalletEvent.after(None, wallet.id, EventType.CREATED, None)]
    while len(events) < count:
        details = {"memo": f"ü'{len(events)}"}
        events.append(WalletEvent.after(events[-1], wallet.id, EventType.SIGNED, "t1", details))
    return events


async def _append(container: Container, events: list[WalletEvent]) -> None:
    async with container.unit_of_work() as uow:
        for event in events:
            await uow.events.append(event)
        await uow.commit()


async def test_a_wallet_without_events_has_none(container: Container, wallet: Wallet) -> None:
    async with container.unit_of_work() as uow:
        assert await uow.events.last(wallet.id) is None
        assert await uow.events.after(wallet.id, 0, 10) == []


async def test_committed_events_come_back_in_appended_order(
    container: Container, wallet: Wallet
) -> None:
    events = _chain(wallet, 3)
    await _append(container, events)
    async with container.unit_of_work() as uow:
        assert await uow.events.after(wallet.id, 0, 10) == events
        assert await uow.events.last(wallet.id) == events[-1]


async def test_a_unit_of_work_sees_its_own_appended_events(
    container: Container, wallet: Wallet
) -> None:
    first, second = _chain(wallet, 2)
    async with container.unit_of_work() as uow:
        await uow.events.append(first)
        assert await uow.events.last(wallet.id) == first
        await uow.events.append(second)
        assert await uow.events.after(wallet.id, 0, 10) == [first, second]


async def test_after_pages_by_sequence_and_limit(container: Container, wallet: Wallet) -> None:
    events = _chain(wallet, 5)
    await _append(container, events)
    async with container.unit_of_work() as uow:
        assert await uow.events.after(wallet.id, 0, 2) == events[0:2]
        assert await uow.events.after(wallet.id, 2, 2) == events[2:4]
        assert await uow.events.after(wallet.id, 4, 2) == events[4:]
        assert await uow.events.after(wallet.id, 5, 2) == []


async def test_events_belong_to_their_wallet(
    container: Container, wallet: Wallet, add_user: AddUser, add_wallet: AddWallet
) -> None:
    other = await add_wallet(await add_user("bob@example.com"))
    await _append(container, _chain(wallet, 2))
    async with container.unit_of_work() as uow:
        assert await uow.events.last(other.id) is None
        assert await uow.events.after(other.id, 0, 10) == []


async def test_appended_events_roll_back_without_commit(
    container: Container, wallet: Wallet
) -> None:
    async with container.unit_of_work() as uow:
        await uow.events.append(_chain(wallet, 1)[0])
    async with container.unit_of_work() as uow:
        assert await uow.events.last(wallet.id) is None
        assert await uow.events.after(wallet.id, 0, 10) == []


@pytest.mark.usefixtures("overlapping_transactions")
async def test_uncommitted_events_are_invisible_to_others(
    container: Container, wallet: Wallet
) -> None:
    async with container.unit_of_work() as writer:
        await writer.events.append(_chain(wallet, 1)[0])
        async with container.unit_of_work() as reader:
            assert await reader.events.last(wallet.id) is None
            assert await reader.events.after(wallet.id, 0, 10) == []
