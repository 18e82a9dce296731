"""The fault-injecting ports (tests/support.py): keyword arguments reach the real repositories,
and every use case can be made to fail at each repository call, commit and crypto step it makes,
leaving the store as it was and the next attempt free to succeed."""

import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from decimal import Decimal

import pytest
from dependency_injector import providers
from nacl.public import PrivateKey
from stellar_sdk import Account, Asset, Keypair, Network, TransactionBuilder

from adapters.crypto.recovery import RebuiltRecoveryKey, new_recovery_key
from adapters.kms.memory import InMemoryKeyWrapper
from application.activate_account import ActivateRequest
from application.change_signers import ChangeSignersRequest
from application.create_user_wallet import CreateWalletRequest
from application.export_wallet import ExportRequest
from application.register_user import RegisterUserRequest
from application.rotate_encryption_key import RotateKeyRequest
from application.sign_transaction import SignRequest
from domain.accounts import Terms, Trustline
from domain.authorization import Signer, Signers
from domain.errors import StoreUnavailable
from domain.policy import Limit, SigningPolicy
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
TESTNET = Network.TESTNET_NETWORK_PASSPHRASE
ISSUER, COSIGNER, OUTSIDE_SPONSOR = (
    Keypair.from_raw_ed25519_seed(bytes([n]) * 32).public_key for n in (7, 8, 10)
)
SEQUENCE = 4294967296
"""A sequence number given, so that the account operations need no network (submit is off)."""
CEREMONY = new_recovery_key(2, 2)
RECOVERY_KEY = CEREMONY.recovery_key
"""Wallets are escrowed to it: creations and rotations write escrows; restores open them."""


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


async def _activate(container: Container) -> object:
    with EncryptionKey.from_text(KEY) as key:
        lines = (Trustline("USDC", ISSUER),)
        request = ActivateRequest("ada", key, OUTSIDE_SPONSOR, SEQUENCE, lines, Terms(TESTNET))
        return await container.activate_account()(request)


async def _change_signers(container: Container) -> object:
    with EncryptionKey.from_text(KEY) as key:
        add = Signers((Signer(COSIGNER, 1),))
        request = ChangeSignersRequest("ada", key, SEQUENCE, Terms(TESTNET), Signers(()), add, ())
        return await container.change_signers()(request)


def _use_backend(container: Container) -> InMemoryKeyWrapper:
    """Give the container a key-management backend from now on (its cipher built again)."""
    wrapper = InMemoryKeyWrapper()
    container.key_wrapper.override(providers.Object(wrapper))
    container.cipher.reset()
    return wrapper


async def _with_backend(container: Container) -> None:
    """ada's wallet stays v1: the upgrade has it to do."""
    _use_backend(container)


async def _upgrade(container: Container) -> object:
    with EncryptionKey.from_text(KEY) as key:
        return await container.upgrade_envelopes()(key)


async def _with_backend_key_rotated(container: Container) -> None:
    """ada's wallet is v2, its share wrapped by a backend key version no longer the newest."""
    wrapper = _use_backend(container)
    await _upgrade(container)
    await wrapper.rotate_key()


async def _rewrap(container: Container) -> object:
    return await container.rewrap_all()()


async def _without_escrow(container: Container) -> None:
    """ada's wallet loses its escrow, as one made before the recovery key was configured."""
    store = container.memory_store()
    del store.escrows[store.wallets_by_user["ada"].id]


async def _escrow_all(container: Container) -> object:
    with EncryptionKey.from_text(KEY) as key:
        return await container.escrow_all()(key)


async def _restore(container: Container) -> object:
    opener = RebuiltRecoveryKey(list(CEREMONY.shares))
    with EncryptionKey.from_text(OTHER_KEY) as new_key:
        return await container.restore_wallets()(opener, new_key, user_id="ada")


async def _import(container: Container) -> object:
    """carol's wallet, escrowed by another deployment (its own store, off the faulty ports, so
    that only the import's steps are traced), made again here from its escrow record.
    """
    elsewhere = build_container(settings_for("memory://", recovery_key=RECOVERY_KEY))
    await elsewhere.register_user()(RegisterUserRequest("carol@example.com", "carol"))
    await _create(elsewhere, "carol")
    record = await elsewhere.get_escrow()("carol")
    opener = RebuiltRecoveryKey(list(CEREMONY.shares))
    with EncryptionKey.from_text(OTHER_KEY) as new_key:
        return await container.import_escrows()(opener, new_key, [record])


DAILY_LIMIT = SigningPolicy(limits=(Limit("native", per_day=Decimal(100)),))
"""A policy whose judgement reads the day's spending, as well as recording it."""


async def _with_daily_limit(container: Container) -> object:
    return await container.set_signing_policy()("ada", DAILY_LIMIT)


async def _get_policy(container: Container) -> object:
    return await container.get_signing_policy()("ada")


async def _remove_policy(container: Container) -> object:
    return await container.remove_signing_policy()("ada")


OPERATIONS: dict[str, tuple[Operation, Operation]] = {
    "register_user": (_nothing, _register),
    "get_user": (_nothing, _get_user),
    "create_user_wallet": (_nothing, _create),
    "create_user_wallet-replay": (_nothing, _replay),
    "get_wallet_by_user": (_nothing, _get_wallet),
    "sign_transaction": (_nothing, _sign),
    "sign_transaction-daily-limit": (_with_daily_limit, _sign),
    "rotate_encryption_key": (_nothing, _rotate),
    "rotate_all_keys": (_nothing, _rotate_all),
    "export_wallet": (_nothing, _export),
    "suspend_wallet": (_nothing, _suspend),
    "resume_wallet": (_suspend, _resume),
    "list_wallet_events": (_nothing, _list_events),
    "get_escrow": (_nothing, _get_escrow),
    "verify_audit_trail": (_nothing, _verify),
    "activate_account": (_nothing, _activate),
    "change_signers": (_nothing, _change_signers),
    "upgrade_envelopes": (_with_backend, _upgrade),
    "rewrap_all": (_with_backend_key_rotated, _rewrap),
    "escrow_all": (_without_escrow, _escrow_all),
    "restore_wallets": (_nothing, _restore),
    "import_escrows": (_nothing, _import),
    "get_signing_policy": (_nothing, _get_policy),
    "set_signing_policy": (_nothing, _with_daily_limit),
    "remove_signing_policy": (_with_daily_limit, _remove_policy),
}
"""Every use case, with what must happen before it (beyond `_prepared`)."""


@asynccontextmanager
async def _prepared(prepare: Operation) -> AsyncIterator[tuple[Container, Faults]]:
    """A container where ada has a wallet under KEY and carol none, and `prepare` has run, now
    on fault-injecting ports (taken after `prepare`, which may change the cipher), the trace
    empty.
    """
    container = build_container(
        settings_for("memory://", allow_export=True, recovery_key=RECOVERY_KEY)
    )
    await container.register_user()(RegisterUserRequest("ada@example.com", "ada"))
    await container.register_user()(RegisterUserRequest("carol@example.com", "carol"))
    await _create(container, "ada")
    await prepare(container)
    faults = Faults()
    with faulty_ports(container, faults):
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
