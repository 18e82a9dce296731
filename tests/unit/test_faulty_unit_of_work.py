"""The fault-injecting ports (tests/support.py): keyword arguments reach the real repositories,
and every use case can be made to fail at each repository call, commit and crypto step it makes,
leaving the store as it was and the next attempt free to succeed."""

import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from nacl.public import PrivateKey
from stellar_sdk import Account, Asset, Keypair, Network, TransactionBuilder

from application.create_user_wallet import CreateWalletRequest
from application.export_wallet import ExportRequest
from application.register_user import RegisterUserRequest
from application.rotate_encryption_key import RotateKeyRequest
from application.sign_transaction import SignRequest
from domain.errors import StoreUnavailable
from domain.recovery import RecoveryKey
from domain.secrets import EncryptionKey
from entrypoints.container import Container, build_container
from tests.support import (
    KEY,
    OTHER_KEY,
    REPOSITORY_STEPS,
    Faults,
    FaultyUnitOfWork,
    InjectedFault,
    StoreSnapshot,
    faulty_ports,
    settings_for,
)

Operation = Callable[[Container], Awaitable[object]]
RECIPIENT = base64.b64encode(bytes(PrivateKey(bytes([5]) * 32).public_key)).decode()


async def _register(container: Container) -> object:
    return await container.register_user()(RegisterUserRequest("bob@example.com", "bob"))


async def _get_user(container: Container) -> object:
    return await container.get_user()("ada")


async def _create(container: Container, user_id: str = "carol") -> object:
    with EncryptionKey.from_text(KEY) as key:
        return await container.create_user_wallet()(CreateWalletRequest(user_id, key))


async def _replay(container: Container) -> object:
    return await _create(container, "ada")


async def _get_wallet(container: Container) -> object:
    return await container.get_wallet_by_user()("ada")


async def _sign(container: Container) -> object:
    # Read from the store itself: a use case here would add its own steps to the trace.
    source = container.memory_store().wallets_by_user["ada"].public_key
    builder = TransactionBuilder(Account(source, 1), Network.TESTNET_NETWORK_PASSPHRASE, 100)
    builder.append_payment_op(Keypair.random().public_key, Asset.native(), "1")
    xdr = builder.set_timeout(300).build().to_xdr()
    with EncryptionKey.from_text(KEY) as key:
        request = SignRequest("ada", key, xdr, Network.TESTNET_NETWORK_PASSPHRASE)
        return await container.sign_transaction()(request)


async def _rotate(container: Container) -> object:
    with EncryptionKey.from_text(KEY) as key, EncryptionKey.from_text(OTHER_KEY) as new_key:
        return await container.rotate_encryption_key()(RotateKeyRequest("ada", key, new_key))


async def _rotate_all(container: Container) -> object:
    with EncryptionKey.from_text(KEY) as key, EncryptionKey.from_text(OTHER_KEY) as new_key:
        return await container.rotate_all_keys()(key, new_key)


async def _export(container: Container) -> object:
    with EncryptionKey.from_text(KEY) as key:
        return await container.export_wallet()(ExportRequest("ada", key, RECIPIENT))


async def _suspend(container: Container) -> object:
    return await container.suspend_wallet()("ada")


async def _resume(container: Container) -> object:
    return await container.resume_wallet()("ada")


async def _list_events(container: Container) -> object:
    return await container.list_wallet_events()("ada")


async def _verify(container: Container) -> object:
    return await container.verify_audit_trail()()


async def _nothing(_: Container) -> object:
    return None


async def _get_escrow(container: Container) -> None:
    await container.get_escrow()("ada")


RECOVERY_KEY = RecoveryKey("jXvNVcAxvAStoFlBg7hKZS44CNuZvyPz4rkKfRlLtXY=")
"""Wallets are escrowed to it: creations and rotations write escrows."""

OPERATIONS: dict[str, tuple[Operation, Operation]] = {
    "register_user": (_nothing, _register),
    "get_user": (_nothing, _get_user),
    "create_user_wallet": (_nothing, _create),
    "create_user_wallet-replay": (_nothing, _replay),
    "get_wallet_by_user": (_nothing, _get_wallet),
    "sign_transaction": (_nothing, _sign),
    "rotate_encryption_key": (_nothing, _rotate),
    "rotate_all_keys": (_nothing, _rotate_all),
    "export_wallet": (_nothing, _export),
    "suspend_wallet": (_nothing, _suspend),
    "resume_wallet": (_suspend, _resume),
    "list_wallet_events": (_nothing, _list_events),
    "get_escrow": (_nothing, _get_escrow),
    "verify_audit_trail": (_nothing, _verify),
}
"""Every use case, with what must happen before it (beyond `_prepared`)."""


@asynccontextmanager
async def _prepared(prepare: Operation) -> AsyncIterator[tuple[Container, Faults]]:
    """A container on fault-injecting ports where ada has a wallet under KEY and carol none;
    `prepare` has run, and the trace is empty.
    """
    container = build_container(
        settings_for("memory://", allow_export=True, recovery_key=RECOVERY_KEY)
    )
    faults = Faults()
    with faulty_ports(container, faults):
        await container.register_user()(RegisterUserRequest("ada@example.com", "ada"))
        await container.register_user()(RegisterUserRequest("carol@example.com", "carol"))
        await _create(container, "ada")
        await prepare(container)
        faults.trace.clear()
        yield container, faults


async def _steps_of(prepare: Operation, operation: Operation) -> list[str]:
    async with _prepared(prepare) as (container, faults):
        await operation(container)
        return list(faults.trace)


@pytest.mark.parametrize(
    "make_error",
    [InjectedFault, lambda: StoreUnavailable("InjectedFault")],
    ids=["injected", "store-unavailable"],
)
@pytest.mark.parametrize(("prepare", "operation"), OPERATIONS.values(), ids=OPERATIONS.keys())
async def test_a_fault_at_any_call_fails_the_operation_as_itself_and_leaves_nothing(
    prepare: Operation, operation: Operation, make_error: Callable[[], Exception]
) -> None:
    steps = await _steps_of(prepare, operation)
    assert set(steps) & set(REPOSITORY_STEPS), "the use case did not run on the faulty ports"
    for index, step in enumerate(steps):
        async with _prepared(prepare) as (container, faults):
            before = StoreSnapshot.of(container.memory_store())
            error = make_error()
            faults.arm_call(index, error)
            with pytest.raises(type(error)) as raised:
                await operation(container)
            assert raised.value is error  # not caught and turned into another error
            assert faults.fired == [step]
            assert faults.trace == steps[: index + 1]
            assert StoreSnapshot.of(container.memory_store()) == before
            faults.trace.clear()
            await operation(container)
            assert faults.trace == steps


async def test_the_operations_reach_every_repository_call_and_commit() -> None:
    reached: set[str] = set()
    for prepare, operation in OPERATIONS.values():
        reached.update(await _steps_of(prepare, operation))
    assert reached >= {*REPOSITORY_STEPS, "commit"}
    assert reached <= set(Faults.STEPS)


async def test_keyword_arguments_reach_the_real_repository() -> None:
    async with _prepared(_nothing) as (container, faults):
        store = container.memory_store()
        async with container.unit_of_work() as uow:
            assert isinstance(uow, FaultyUnitOfWork)
            wallet = await uow.wallets.get_by_user("ada", for_update=True)
            assert wallet is not None
            assert wallet.id in store.locks  # for_update arrived: the row lock is held
        assert store.locks == {}
        assert faults.trace == ["wallets.get_by_user"]


async def test_a_named_fault_fires_on_a_call_with_keyword_arguments() -> None:
    async with _prepared(_nothing) as (container, faults):
        faults.arm("wallets.get_by_user")
        with pytest.raises(InjectedFault):
            await _suspend(container)
        assert faults.fired == ["wallets.get_by_user"]
        assert (await container.suspend_wallet()("ada")).status == "suspended"


async def test_only_the_ports_methods_are_exposed() -> None:
    async with _prepared(_nothing) as (container, _), container.unit_of_work() as uow:
        with pytest.raises(AttributeError):
            _ = uow.wallets._read
        with pytest.raises(AttributeError):
            _ = uow.events.purge


def test_only_known_steps_can_be_armed() -> None:
    faults = Faults()
    with pytest.raises(ValueError, match=r"wallets\.delete"):
        faults.arm("wallets.delete")
    with pytest.raises(ValueError, match="-1"):
        faults.arm_call(-1)
