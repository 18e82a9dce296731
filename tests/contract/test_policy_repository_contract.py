"""The signing-policy and spending repositories' contract (issue 17), run against in-memory,
SQLite and PostgreSQL: one policy per wallet, put replaces, remove says whether there was one;
spending summed per asset from a moment on, old records pruned by the next add; writes seen by
their own unit of work and by others only after commit, and discarded by a rollback.
"""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select

from adapters.sql.tables import wallet_policies, wallet_spending, wallets
from domain.model import Wallet
from domain.policy import NATIVE, Limit, SigningPolicy
from entrypoints.container import Container
from tests.contract.conftest import AddUser, AddWallet

ISSUER = "GBUKBCG5VLRKAVYAIREJRUJHOKLIADZJOICRW43WVJCLES52BDOTCQZU"
USDC = f"USDC:{ISSUER}"
FRIEND = "GCAT5MCLIWBJ5HJUBJIUFWUDRV7SOONQWENVSKCRV5MQV43USP2XX5LG"
NOON = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)

STRICT = SigningPolicy(
    allowed_operations=frozenset({"payment", "changeTrust"}),
    allowed_destinations=frozenset({FRIEND}),
    limits=(
        Limit(NATIVE, Decimal(100), Decimal("1000.5")),
        Limit(USDC, None, Decimal("0.0000001")),
    ),
)
LOOSE = SigningPolicy(allow_foreign_source=True, allow_foreign_fee_bump=True)


async def _put(container: Container, wallet: Wallet, policy: SigningPolicy) -> None:
    async with container.unit_of_work() as uow:
        assert await uow.wallets.get_by_user(wallet.user_id, for_update=True) is not None
        await uow.policies.put(wallet.id, policy)
        await uow.commit()


async def _get(container: Container, wallet: Wallet) -> SigningPolicy | None:
    async with container.unit_of_work() as uow:
        policy: SigningPolicy | None = await uow.policies.get(wallet.id)
    return policy


async def _remove(container: Container, wallet: Wallet) -> bool:
    async with container.unit_of_work() as uow:
        assert await uow.wallets.get_by_user(wallet.user_id, for_update=True) is not None
        had: bool = await uow.policies.remove(wallet.id)
        await uow.commit()
    return had


async def _spend(
    container: Container,
    wallet: Wallet,
    moment: datetime,
    amounts: dict[str, Decimal],
    keep_after: datetime | None = None,
) -> None:
    async with container.unit_of_work() as uow:
        assert await uow.wallets.get_by_user(wallet.user_id, for_update=True) is not None
        after = moment - timedelta(hours=24) if keep_after is None else keep_after
        await uow.spending.add(wallet.id, moment, amounts, keep_after=after)
        await uow.commit()


async def _since(container: Container, wallet: Wallet, moment: datetime) -> dict[str, Decimal]:
    async with container.unit_of_work() as uow:
        totals: dict[str, Decimal] = await uow.spending.since(wallet.id, moment)
    return totals


# Policies


async def test_a_wallet_has_no_policy_of_its_own_at_first(
    container: Container, wallet: Wallet
) -> None:
    assert await _get(container, wallet) is None
    assert await _remove(container, wallet) is False


@pytest.mark.parametrize("policy", [STRICT, LOOSE, SigningPolicy()], ids=["strict", "loose", "any"])
async def test_put_is_seen_in_its_own_unit_of_work_and_in_others_after_commit(
    container: Container, wallet: Wallet, policy: SigningPolicy
) -> None:
    async with container.unit_of_work() as uow:
        assert await uow.wallets.get_by_user(wallet.user_id, for_update=True) is not None
        await uow.policies.put(wallet.id, policy)
        assert await uow.policies.get(wallet.id) == policy
        await uow.commit()
    assert await _get(container, wallet) == policy


async def test_put_replaces_the_wallets_policy(container: Container, wallet: Wallet) -> None:
    await _put(container, wallet, STRICT)
    await _put(container, wallet, LOOSE)
    assert await _get(container, wallet) == LOOSE


async def test_remove_says_whether_there_was_a_policy(container: Container, wallet: Wallet) -> None:
    await _put(container, wallet, STRICT)
    assert await _remove(container, wallet) is True
    assert await _get(container, wallet) is None
    assert await _remove(container, wallet) is False


async def test_put_then_remove_in_one_unit_of_work_and_the_reverse(
    container: Container, wallet: Wallet
) -> None:
    async with container.unit_of_work() as uow:
        assert await uow.wallets.get_by_user(wallet.user_id, for_update=True) is not None
        await uow.policies.put(wallet.id, STRICT)
        assert await uow.policies.remove(wallet.id) is True
        assert await uow.policies.get(wallet.id) is None
        assert await uow.policies.remove(wallet.id) is False
        await uow.policies.put(wallet.id, LOOSE)
        await uow.commit()
    assert await _get(container, wallet) == LOOSE


async def test_a_rollback_discards_a_put_and_a_remove(container: Container, wallet: Wallet) -> None:
    async with container.unit_of_work() as uow:
        await uow.policies.put(wallet.id, STRICT)
    assert await _get(container, wallet) is None
    await _put(container, wallet, STRICT)
    async with container.unit_of_work() as uow:
        await uow.policies.put(wallet.id, LOOSE)
    async with container.unit_of_work() as uow:
        assert await uow.policies.remove(wallet.id) is True
    assert await _get(container, wallet) == STRICT


async def test_an_exception_discards_a_put(container: Container, wallet: Wallet) -> None:
    async def put_then_fail() -> None:
        async with container.unit_of_work() as uow:
            await uow.policies.put(wallet.id, STRICT)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await put_then_fail()
    assert await _get(container, wallet) is None


@pytest.mark.usefixtures("overlapping_transactions")
async def test_an_uncommitted_put_is_invisible_to_others(
    container: Container, wallet: Wallet
) -> None:
    async with container.unit_of_work() as writer:
        await writer.policies.put(wallet.id, STRICT)
        async with container.unit_of_work() as reader:
            assert await reader.policies.get(wallet.id) is None


async def test_each_wallet_has_its_own_policy(
    container: Container, add_user: AddUser, add_wallet: AddWallet
) -> None:
    first = await add_wallet(await add_user("first@example.com"))
    second = await add_wallet(await add_user("second@example.com"))
    await _put(container, first, STRICT)
    await _put(container, second, LOOSE)
    assert await _remove(container, first) is True
    assert await _get(container, first) is None
    assert await _get(container, second) == LOOSE


# Spending


async def test_nothing_was_spent_at_first(container: Container, wallet: Wallet) -> None:
    assert await _since(container, wallet, NOON - timedelta(days=365)) == {}


async def test_since_sums_per_asset_from_a_moment_on(container: Container, wallet: Wallet) -> None:
    await _spend(container, wallet, NOON, {NATIVE: Decimal(6), USDC: Decimal("0.0000001")})
    later = NOON + timedelta(hours=1)
    await _spend(container, wallet, later, {NATIVE: Decimal("4.5"), USDC: Decimal("0.0000002")})
    both = {NATIVE: Decimal("10.5"), USDC: Decimal("0.0000003")}
    assert await _since(container, wallet, NOON - timedelta(seconds=1)) == both
    assert await _since(container, wallet, NOON) == both  # a record at the moment counts
    assert await _since(container, wallet, NOON + timedelta(microseconds=1)) == {
        NATIVE: Decimal("4.5"),
        USDC: Decimal("0.0000002"),
    }
    assert await _since(container, wallet, later + timedelta(seconds=1)) == {}


async def test_since_reads_a_moment_in_any_timezone(container: Container, wallet: Wallet) -> None:
    await _spend(container, wallet, NOON, {NATIVE: Decimal(1)})
    paris = timezone(timedelta(hours=1))
    assert await _since(container, wallet, datetime(2026, 11, 29, 13, 0, tzinfo=paris)) == {
        NATIVE: Decimal(1)
    }
    assert await _since(container, wallet, datetime(2026, 11, 29, 13, 1, tzinfo=paris)) == {}


async def test_add_prunes_the_records_from_before_keep_after(
    container: Container, wallet: Wallet
) -> None:
    dawn = NOON - timedelta(hours=6)
    await _spend(container, wallet, dawn - timedelta(hours=1), {NATIVE: Decimal(100)})
    await _spend(container, wallet, dawn, {NATIVE: Decimal(10)})
    await _spend(container, wallet, NOON, {USDC: Decimal(1)}, keep_after=dawn)
    long_ago = NOON - timedelta(days=30)
    assert await _since(container, wallet, long_ago) == {NATIVE: Decimal(10), USDC: Decimal(1)}
    await _spend(container, wallet, NOON, {}, keep_after=NOON)
    assert await _since(container, wallet, long_ago) == {USDC: Decimal(1)}


async def test_a_prune_touches_no_other_wallet(
    container: Container, add_user: AddUser, add_wallet: AddWallet
) -> None:
    first = await add_wallet(await add_user("first@example.com"))
    second = await add_wallet(await add_user("second@example.com"))
    await _spend(container, first, NOON - timedelta(days=2), {NATIVE: Decimal(1)})
    await _spend(container, second, NOON - timedelta(days=2), {NATIVE: Decimal(2)})
    await _spend(container, first, NOON, {NATIVE: Decimal(3)})
    long_ago = NOON - timedelta(days=30)
    assert await _since(container, first, long_ago) == {NATIVE: Decimal(3)}
    assert await _since(container, second, long_ago) == {NATIVE: Decimal(2)}


async def test_an_add_is_seen_in_its_own_unit_of_work(container: Container, wallet: Wallet) -> None:
    async with container.unit_of_work() as uow:
        assert await uow.wallets.get_by_user(wallet.user_id, for_update=True) is not None
        await uow.spending.add(wallet.id, NOON, {NATIVE: Decimal(7)}, keep_after=NOON)
        assert await uow.spending.since(wallet.id, NOON) == {NATIVE: Decimal(7)}
        await uow.commit()
    assert await _since(container, wallet, NOON) == {NATIVE: Decimal(7)}


async def test_a_rollback_discards_an_add_and_its_prune(
    container: Container, wallet: Wallet
) -> None:
    await _spend(container, wallet, NOON, {NATIVE: Decimal(5)})
    later = NOON + timedelta(days=2)
    async with container.unit_of_work() as uow:
        assert await uow.wallets.get_by_user(wallet.user_id, for_update=True) is not None
        await uow.spending.add(wallet.id, later, {NATIVE: Decimal(9)}, keep_after=later)
        assert await uow.spending.since(wallet.id, NOON) == {NATIVE: Decimal(9)}
    assert await _since(container, wallet, NOON) == {NATIVE: Decimal(5)}


async def test_an_exception_discards_an_add(container: Container, wallet: Wallet) -> None:
    async def add_then_fail() -> None:
        async with container.unit_of_work() as uow:
            await uow.spending.add(wallet.id, NOON, {NATIVE: Decimal(1)}, keep_after=NOON)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await add_then_fail()
    assert await _since(container, wallet, NOON) == {}


@pytest.mark.usefixtures("overlapping_transactions")
async def test_an_uncommitted_add_is_invisible_to_others(
    container: Container, wallet: Wallet
) -> None:
    async with container.unit_of_work() as writer:
        await writer.spending.add(wallet.id, NOON, {NATIVE: Decimal(1)}, keep_after=NOON)
        async with container.unit_of_work() as reader:
            assert await reader.spending.since(wallet.id, NOON) == {}


async def test_the_policy_and_the_spending_go_with_their_wallet(
    container: Container, add_user: AddUser, add_wallet: AddWallet
) -> None:
    if container.settings().backend == "memory":
        pytest.skip("the in-memory store deletes no wallet")
    gone = await add_wallet(await add_user("gone@example.com"))
    kept = await add_wallet(await add_user("kept@example.com"))
    for wallet in (gone, kept):
        await _put(container, wallet, STRICT)
        await _spend(container, wallet, NOON, {NATIVE: Decimal(1), USDC: Decimal(2)})
    async with container.engine().begin() as connection:
        await connection.execute(delete(wallets).where(wallets.c.id == gone.id))
    async with container.engine().connect() as connection:
        for table in (wallet_policies, wallet_spending):
            ids = select(table.c.walletId).distinct()
            assert list(await connection.scalars(ids)) == [kept.id]
        count = select(func.count()).select_from(wallet_spending)
        assert await connection.scalar(count) == 2
