"""Fixtures of the repository and unit-of-work contract: stored users and wallets, on every
backend that the `container` fixture (tests/conftest.py) is parametrised over.
"""

import secrets
from collections.abc import Awaitable, Callable

import pytest

from domain.model import User, Wallet
from entrypoints.container import Container

AddUser = Callable[[str], Awaitable[User]]
AddWallet = Callable[[User], Awaitable[Wallet]]


@pytest.fixture
def add_user(container: Container) -> AddUser:
    """Register and commit a user with this email."""

    async def add(email: str) -> User:
        user = User.register(email)
        async with container.unit_of_work() as uow:
            assert await uow.users.add(user)
            await uow.commit()
        return user

    return add


@pytest.fixture
def add_wallet(container: Container) -> AddWallet:
    """Store and commit a wallet, with a public key of its own, for a stored user."""

    async def add(user: User) -> Wallet:
        public_key = "G" + secrets.token_hex(28)[:55].upper()
        wallet = Wallet.create_for(user.id, public_key, "wo1$envelope")
        async with container.unit_of_work() as uow:
            assert await uow.wallets.add(wallet) == wallet
            await uow.commit()
        return wallet

    return add


@pytest.fixture
async def user(add_user: AddUser) -> User:
    return await add_user("ada@example.com")


@pytest.fixture
async def wallet(add_wallet: AddWallet, user: User) -> Wallet:
    return await add_wallet(user)


@pytest.fixture
def overlapping_transactions(database_url: str) -> None:
    """Skip on SQLite: every unit of work there begins with BEGIN IMMEDIATE (one writer at a
    time), so a second one cannot start, let alone look, while the first is open.
    """
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite serialises transactions: a second one cannot start to look")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_url(request: pytest.FixtureRequest) -> str:
    """The URL of an empty database on each SQL backend in turn."""
    fixture = "sqlite_url" if request.param == "sqlite" else "clean_postgres_url"
    return str(request.getfixturevalue(fixture))
