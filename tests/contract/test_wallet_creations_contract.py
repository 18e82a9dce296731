"""The contract of WalletCreations (a new wallet stored in one atomic step), run against
in-memory, SQLite and PostgreSQL: the wallet with its first event, its escrow and its webhook
deliveries, or the wallet its user already has, or a refusal that stored nothing. On PostgreSQL
the step is one statement without a transaction (pg_creations).
"""

import secrets
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from adapters.sql.pg_creations import PgWalletCreations
from adapters.sql.pg_repositories import PgWalletRepository
from adapters.sql.tables import wallet_events, wallets
from adapters.sql.unit_of_work import SqlUnitOfWork
from domain.audit import EventType, WalletEvent
from domain.errors import PublicKeyTaken, UserNotFound
from domain.model import User, Wallet, utc_now
from domain.recovery import Escrow
from domain.webhooks import DeliveryKey
from entrypoints.container import Container, open_container
from entrypoints.webhook_settings import WebhookSettings
from tests.contract.conftest import AddUser
from tests.support import settings_for

ONE, TWO = "http://127.0.0.1:9/one", "http://127.0.0.1:9/two"
SECRET = "whsec_" + "A" * 32


def _new(user: User, public_key: str | None = None) -> tuple[Wallet, WalletEvent]:
    key = public_key or "G" + secrets.token_hex(28)[:55].upper()
    wallet = Wallet.create_for(user.id, key, "wo1$envelope")
    return wallet, WalletEvent.after(None, wallet.id, EventType.CREATED, "t1")


async def _stored(container: Container, user: User) -> tuple[Wallet | None, WalletEvent | None]:
    """The user's wallet and its last event, as another reader sees them."""
    async with container.read_unit_of_work() as uow:
        wallet = await uow.wallets.get_by_user(user.id)
        last = None if wallet is None else await uow.events.last(wallet.id)
    return wallet, last


async def test_a_new_wallet_is_stored_with_its_first_event(
    container: Container, user: User
) -> None:
    wallet, created = _new(user)
    assert await container.wallet_creations().add(wallet, created, None) == wallet
    assert await _stored(container, user) == (wallet, created)
    async with container.unit_of_work() as uow:
        assert await uow.escrows.get(wallet.id) is None


async def test_a_user_with_a_wallet_gets_it_back_and_nothing_else_is_stored(
    container: Container, user: User
) -> None:
    first, created = _new(user)
    await container.wallet_creations().add(first, created, None)
    second, second_created = _new(user)
    escrow = Escrow(second.id, "rk-0123456789abcdef", "c2VhbGVk", utc_now())
    assert await container.wallet_creations().add(second, second_created, escrow) == first
    assert await _stored(container, user) == (first, created)
    async with container.unit_of_work() as uow:
        assert await uow.events.last(second.id) is None
        assert await uow.escrows.get(second.id) is None


async def test_an_unknown_user_is_refused_and_nothing_is_stored(container: Container) -> None:
    stranger = User.register("nobody@example.com")
    wallet, created = _new(stranger)
    with pytest.raises(UserNotFound):
        await container.wallet_creations().add(wallet, created, None)
    async with container.unit_of_work() as uow:
        assert await uow.events.last(wallet.id) is None


async def test_a_taken_public_key_is_refused_and_nothing_is_stored(
    container: Container, user: User, add_user: AddUser
) -> None:
    taken, created = _new(user)
    await container.wallet_creations().add(taken, created, None)
    other = await add_user("bob@example.com")
    wallet, other_created = _new(other, taken.public_key)
    with pytest.raises(PublicKeyTaken):
        await container.wallet_creations().add(wallet, other_created, None)
    assert await _stored(container, other) == (None, None)


async def test_the_escrow_is_stored_with_the_wallet(container: Container, user: User) -> None:
    wallet, created = _new(user)
    escrow = Escrow(wallet.id, "rk-0123456789abcdef", "c2VhbGVk", utc_now())
    await container.wallet_creations().add(wallet, created, escrow)
    async with container.unit_of_work() as uow:
        assert await uow.escrows.get(wallet.id) == escrow
    assert await _stored(container, user) == (wallet, created)


@pytest.fixture
async def outbox(database_url: str) -> AsyncIterator[tuple[Container, list[str]]]:
    """A migrated container whose events are owed to two endpoints, and its doorbell's rings."""
    rung: list[str] = []
    webhooks = WebhookSettings(endpoints=(ONE, TWO), secret=SECRET)
    async with open_container(settings_for(database_url, webhooks=webhooks)) as container:
        container.webhook_doorbell.override(_Doorbell(rung))
        yield container, rung


async def test_the_first_events_deliveries_are_queued_and_the_dispatcher_woken(
    outbox: tuple[Container, list[str]],
) -> None:
    container, rung = outbox
    user = User.register("ada@example.com")
    async with container.unit_of_work() as uow:
        await uow.users.add(user)
        await uow.commit()
    wallet, created = _new(user)
    await container.wallet_creations().add(wallet, created, None)
    assert rung == ["rung"]
    again, again_created = _new(user)
    assert await container.wallet_creations().add(again, again_created, None) == wallet
    assert rung == ["rung"]  # nothing was queued the second time
    async with container.unit_of_work() as uow:
        due = await uow.deliveries.claim((ONE, TWO), utc_now(), timedelta(seconds=30), "c", 10)
    assert sorted((d.key for d in due), key=str) == sorted(
        (DeliveryKey(endpoint, wallet.id, 1) for endpoint in (ONE, TWO)), key=str
    )
    assert [d.event for d in due] == [created, created]


class _Doorbell:
    def __init__(self, rung: list[str]) -> None:
        self._rung = rung

    def ring(self) -> None:
        self._rung.append("rung")


@pytest.mark.postgres
async def test_on_postgresql_it_is_one_statement_that_stores_all_or_nothing(
    clean_postgres_url: str,
) -> None:
    async with open_container(settings_for(clean_postgres_url)) as container:
        assert isinstance(container.wallet_creations(), PgWalletCreations)
        user = User.register("ada@example.com")
        async with container.unit_of_work() as uow:
            await uow.users.add(user)
            await uow.commit()
        engine = container.engine()
        # Two deliveries with one key: the last part of the statement fails, and takes the
        # wallet and its event with it.
        twice = PgWalletCreations(
            lambda: SqlUnitOfWork(engine, webhook_endpoints=(ONE, ONE), autocommit=True)
        )
        wallet, created = _new(user)
        with pytest.raises(PublicKeyTaken):  # a unique key refused the insert
            await twice.add(wallet, created, None)
        async with engine.connect() as connection:
            assert await connection.scalar(select(func.count()).select_from(wallets)) == 0
            assert await connection.scalar(select(func.count()).select_from(wallet_events)) == 0
        assert await container.wallet_creations().add(wallet, created, None) == wallet
        async with SqlUnitOfWork(engine, autocommit=True) as uow:
            with pytest.raises(RuntimeError, match="committed each statement"):
                await uow.commit()


async def test_an_autocommit_unit_of_work_is_refused_on_sqlite(sqlite_url: str) -> None:
    async with open_container(settings_for(sqlite_url)) as container:
        with pytest.raises(ValueError, match="PostgreSQL"):
            SqlUnitOfWork(container.engine(), autocommit=True)


@pytest.mark.postgres
async def test_on_postgresql_the_users_wallet_comes_back_from_the_one_statement(
    clean_postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with open_container(settings_for(clean_postgres_url)) as container:
        creations = container.wallet_creations()
        assert creations.add_first
        user = User.register("ada@example.com")
        async with container.unit_of_work() as uow:
            await uow.users.add(user)
            await uow.commit()
        first, created = _new(user)
        await creations.add(first, created, None)

        async def no_second_statement(*_: object) -> Wallet:
            raise AssertionError("the wallet was read by a second statement")

        monkeypatch.setattr(PgWalletRepository, "_stored_instead", no_second_statement)
        assert await creations.add(*_new(user), None) == first
