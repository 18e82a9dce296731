"""A wallet is opened between units of work (holding_opened): whatever commits in between (a
rotation, a suspension) is seen once the wallet is held, so an operation that opened the old
envelope never acts on a wallet that changed under it. The backend's unwrap is held at a gate
to make the interleaving happen, on the real in-memory adapters."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from dependency_injector import providers
from stellar_sdk import Account, Asset, Keypair, Network, TransactionBuilder

from adapters.kms.base import WrappedShare
from adapters.kms.memory import InMemoryKeyWrapper
from application.create_user_wallet import CreateWalletRequest
from application.register_user import RegisterUserRequest
from application.rotate_encryption_key import RotateKeyRequest
from application.sign_transaction import SignRequest
from domain.audit import EventType
from domain.errors import WalletKeyMismatch, WalletSuspended
from domain.secrets import EncryptionKey
from entrypoints.container import Container, open_container
from tests.support import KEY, OTHER_KEY, settings_for

TESTNET = Network.TESTNET_NETWORK_PASSPHRASE


class GatedKeyWrapper(InMemoryKeyWrapper):
    """The in-memory backend; while `gate` is armed, the next unwrap waits for it to open."""

    def __init__(self) -> None:
        super().__init__()
        self.gate: asyncio.Event | None = None
        self.waiting = asyncio.Event()

    async def unwrap(self, wrapped: WrappedShare, context: bytes) -> bytes:
        gate, self.gate = self.gate, None
        if gate is not None:
            self.waiting.set()
            await gate.wait()
        return await super().unwrap(wrapped, context)


@pytest.fixture
async def container() -> AsyncIterator[Container]:
    async with open_container(settings_for("memory://")) as ready:
        ready.key_wrapper.override(providers.Object(GatedKeyWrapper()))
        await ready.register_user()(RegisterUserRequest("ada@example.com", "ada"))
        with EncryptionKey.from_text(KEY) as key:
            await ready.create_user_wallet()(CreateWalletRequest("ada", key))
        yield ready


def _payment(container: Container) -> str:
    source = container.memory_store().wallets_by_user["ada"].public_key
    builder = TransactionBuilder(Account(source, 1), TESTNET, base_fee=100)
    builder.append_payment_op(Keypair.random().public_key, Asset.native(), "1")
    return builder.set_timeout(300).build().to_xdr()


async def _sign_while(container: Container, meanwhile: Callable[[], Awaitable[object]]) -> None:
    """Sign with KEY, its unwrap held until `meanwhile` (run once the unwrap waits) is done."""
    wrapper = container.key_wrapper()
    assert isinstance(wrapper, GatedKeyWrapper)
    wrapper.gate = gate = asyncio.Event()
    with EncryptionKey.from_text(KEY) as key:
        signing = asyncio.create_task(
            container.sign_transaction()(SignRequest("ada", key, _payment(container), TESTNET))
        )
        await asyncio.wait_for(wrapper.waiting.wait(), 5)
        await meanwhile()
        gate.set()
        await signing


async def _events(container: Container) -> list[str]:
    return [event.type for event in (await container.list_wallet_events()("ada")).events]


async def test_a_rotation_committed_while_the_wallet_was_opened_wins(container: Container) -> None:
    async def rotate() -> object:
        with EncryptionKey.from_text(KEY) as old, EncryptionKey.from_text(OTHER_KEY) as new:
            return await container.rotate_encryption_key()(RotateKeyRequest("ada", old, new))

    with pytest.raises(WalletKeyMismatch):
        await _sign_while(container, rotate)
    assert await _events(container) == [EventType.CREATED, EventType.ROTATED]


async def test_a_suspension_committed_while_the_wallet_was_opened_wins(
    container: Container,
) -> None:
    with pytest.raises(WalletSuspended):
        await _sign_while(container, lambda: container.suspend_wallet()("ada"))
    assert await _events(container) == [EventType.CREATED, EventType.SUSPENDED]


async def test_nothing_committed_in_between_signs_once(container: Container) -> None:
    await _sign_while(container, lambda: asyncio.sleep(0))
    assert await _events(container) == [EventType.CREATED, EventType.SIGNED]
