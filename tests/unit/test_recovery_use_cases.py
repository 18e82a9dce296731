"""The recovery use cases of issue 16, through the container: EscrowAll (`recovery escrow`),
RestoreWallets (`recovery restore`) and ImportEscrows (`recovery import`), with recovery keys
made and rebuilt from real SLIP-39 shares. In memory; on SQLite where rows must be deleted
behind the service's back. A redeploy with another recovery key is a second container on the
same store (in memory, shared; or one SQLite file). No exception raised on the way quotes a
seed, a share or a caller key.
"""

import base64
import traceback
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from dependency_injector import providers
from shamir_mnemonic import combine_mnemonics
from sqlalchemy import func, select, text
from stellar_sdk import Account, Asset, Keypair, Network, TransactionBuilder, TransactionEnvelope

from adapters.crypto.envelope import Envelope
from adapters.crypto.recovery import Ceremony, RebuiltRecoveryKey, new_recovery_key
from adapters.kms.memory import InMemoryKeyWrapper
from adapters.memory import InMemoryStore
from adapters.sql.tables import wallet_escrows, wallet_events, wallets
from application.create_user_wallet import CreateWalletRequest
from application.escrow_all import EscrowProgress
from application.get_escrow import EscrowResult
from application.import_escrows import ImportProgress
from application.register_user import RegisterUserRequest
from application.restore_wallets import opened_escrow
from application.sign_transaction import SignRequest, SignResult
from domain.audit import WalletEvent
from domain.errors import (
    EscrowUnreadable,
    Field,
    InvalidInput,
    KmsKeyMismatch,
    WalletKeyMismatch,
    WalletNotFound,
)
from domain.model import Wallet, WalletStatus, utc_now
from domain.ports import EscrowOpener
from domain.recovery import Escrow, RecoveryKey
from domain.secrets import EncryptionKey
from entrypoints.container import Container, open_container
from tests.support import (
    KEY,
    OTHER_KEY,
    Faults,
    InjectedFault,
    faulty_ports,
    rewrite_envelope,
    settings_for,
)

MEMORY = "memory://"
BATCH = 2
NEW_KEY = "the new caller key, 16+ chars"
TESTNET = Network.TESTNET_NETWORK_PASSPHRASE


@pytest.fixture(scope="module")
def ceremony_a() -> Ceremony:
    return new_recovery_key(3, 2)


@pytest.fixture(scope="module")
def ceremony_b() -> Ceremony:
    return new_recovery_key(3, 2)


def _opener(ceremony: Ceremony) -> EscrowOpener:
    """The recovery key rebuilt from K of its shares, not the first ones, in reverse order."""
    return RebuiltRecoveryKey(list(reversed(ceremony.shares[1:])))


class Deployments:
    """Containers on one database, each with settings of its own, as redeploys would be."""

    def __init__(self, url: str, stack: AsyncExitStack) -> None:
        self.url = url
        self._stack = stack
        self._store: InMemoryStore | None = None

    async def open(self, recovery_key: RecoveryKey | None) -> Container:
        settings = settings_for(self.url, recovery_key=recovery_key, rotation_batch_size=BATCH)
        container = await self._stack.enter_async_context(open_container(settings))
        if self.url == MEMORY:
            if self._store is None:
                self._store = container.memory_store()
            else:
                container.memory_store.override(providers.Object(self._store))
        return container


@pytest.fixture
async def memory() -> AsyncIterator[Deployments]:
    async with AsyncExitStack() as stack:
        yield Deployments(MEMORY, stack)


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[Deployments]:
    async with AsyncExitStack() as stack:
        yield Deployments(f"sqlite:///{tmp_path}/wallets.db", stack)


@pytest.fixture(params=["memory", "sqlite"])
def deployments(request: pytest.FixtureRequest) -> Deployments:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


# -- helpers --------------------------------------------------------------------------------------


async def _create(container: Container, user_id: str, key: str = KEY) -> Wallet:
    await container.register_user()(RegisterUserRequest(f"{user_id}@example.com", user_id))
    with EncryptionKey.from_text(key) as encryption_key:
        await container.create_user_wallet()(CreateWalletRequest(user_id, encryption_key))
    return await _wallet(container, user_id)


async def _wallet(container: Container, user_id: str) -> Wallet:
    async with container.unit_of_work() as uow:
        wallet: Wallet | None = await uow.wallets.get_by_user(user_id)
    assert wallet is not None
    return wallet


async def _escrow(container: Container, wallet_id: str) -> Escrow | None:
    async with container.unit_of_work() as uow:
        escrow: Escrow | None = await uow.escrows.get(wallet_id)
    return escrow


async def _events(container: Container, wallet_id: str) -> list[WalletEvent]:
    async with container.unit_of_work() as uow:
        events: list[WalletEvent] = await uow.events.after(wallet_id, 0, 1000)
    return events


async def _put_escrow(container: Container, escrow: Escrow) -> None:
    async with container.unit_of_work() as uow:
        await uow.escrows.put(escrow)
        await uow.commit()


@dataclass(frozen=True)
class State:
    """Every wallet, escrow and event of the database: equal states mean nothing was written."""

    wallets: list[Wallet]
    escrows: list[Escrow]
    events: dict[str, list[WalletEvent]]


async def _state(container: Container) -> State:
    async with container.unit_of_work() as uow:
        stored = await uow.wallets.page_for_update(None, 1000)
        found = [await uow.escrows.get(wallet.id) for wallet in stored]
        escrows = [escrow for escrow in found if escrow is not None]
        events = {wallet.id: await uow.events.after(wallet.id, 0, 1000) for wallet in stored}
    return State(stored, escrows, events)


async def _sign(container: Container, user_id: str, key: str) -> SignResult:
    source = (await _wallet(container, user_id)).public_key
    builder = TransactionBuilder(Account(source, 1234), TESTNET, base_fee=100)
    builder.append_payment_op(Keypair.random().public_key, Asset.native(), "1")
    xdr = builder.set_timeout(300).build().to_xdr()
    with EncryptionKey.from_text(key) as encryption_key:
        return await container.sign_transaction()(
            SignRequest(user_id, encryption_key, xdr, TESTNET)
        )


async def _assert_opens_only_with(container: Container, user_id: str, key: str, *not_: str) -> None:
    """`key` signs for the wallet (a signature that verifies with its public key); each of
    `not_` is refused."""
    wallet = await _wallet(container, user_id)
    signed = await _sign(container, user_id, key)
    envelope = TransactionEnvelope.from_xdr(signed.signed_transaction_xdr, TESTNET)
    assert signed.public_key == wallet.public_key
    Keypair.from_public_key(wallet.public_key).verify(
        envelope.hash(), envelope.signatures[-1].signature
    )
    for other in not_:
        with pytest.raises(WalletKeyMismatch):
            await _sign(container, user_id, other)


def _public_key_in(opener: EscrowOpener, sealed_seed: str) -> str:
    with opener.open(sealed_seed) as seed:
        return str(Keypair.from_raw_ed25519_seed(bytes(seed.reveal())).public_key)


async def _assert_escrowed_to(container: Container, wallet: Wallet, ceremony: Ceremony) -> Escrow:
    escrow = await _escrow(container, wallet.id)
    assert escrow is not None
    assert escrow.recovery_key_id == ceremony.recovery_key.key_id
    assert _public_key_in(_opener(ceremony), escrow.sealed_seed) == wallet.public_key
    return escrow


async def _assert_audit_trail_verifies(container: Container, wallets_checked: int) -> None:
    report = await container.verify_audit_trail()()
    assert report.broken == []
    assert report.wallets_checked == wallets_checked


async def _tamper_with_envelope(container: Container, user_id: str) -> None:
    """Flip one ciphertext byte and fix up the checksum, as a deliberate attacker would."""

    def flip(parsed: Envelope) -> Envelope:
        flipped = bytes([parsed.ciphertext[0] ^ 1]) + parsed.ciphertext[1:]
        return replace(parsed, ciphertext=flipped)

    await rewrite_envelope(container, user_id, flip)


def _flipped(sealed_seed: str) -> str:
    raw = bytearray(base64.b64decode(sealed_seed))
    raw[-1] ^= 1
    return base64.b64encode(bytes(raw)).decode("ascii")


def _secrets_of(*ceremonies: Ceremony, seeds: tuple[bytes, ...] = ()) -> list[str]:
    """The texts no message may quote: caller keys, shares (whole, and any three words in a
    row), the recovery keys' private halves, seeds (hex, base64 and as Stellar secrets)."""
    found = [KEY, OTHER_KEY, NEW_KEY]
    for ceremony in ceremonies:
        for share in ceremony.shares:
            words = share.split()
            found += [share, *(" ".join(words[i : i + 3]) for i in range(len(words) - 2))]
        private = bytes(combine_mnemonics(list(ceremony.shares[:2])))
        found += [private.hex(), base64.b64encode(private).decode()]
    for seed in seeds:
        secret = Keypair.from_raw_ed25519_seed(seed).secret
        found += [seed.hex(), base64.b64encode(seed).decode(), secret]
    return found


def _assert_tells_no_secret(error: BaseException, secrets: list[str]) -> None:
    told = "".join(traceback.format_exception(error)) + repr(error) + str(error)
    for secret in secrets:
        assert secret not in told


def _seed_of(opener: EscrowOpener, escrow: Escrow) -> bytes:
    with opener.open(escrow.sealed_seed) as seed:
        return bytes(seed.reveal())


# -- EscrowAll ------------------------------------------------------------------------------------


async def test_escrow_all_escrows_the_callers_wallets_that_need_it_and_lists_the_rest(
    deployments: Deployments, ceremony_a: Ceremony, ceremony_b: Ceremony
) -> None:
    bare = await deployments.open(None)
    without = [await _create(bare, user_id) for user_id in ("bare-1", "bare-2")]
    theirs = await _create(bare, "theirs", OTHER_KEY)
    broken = await _create(bare, "broken")
    await _tamper_with_envelope(bare, "broken")
    under_a = await deployments.open(ceremony_a.recovery_key)
    former = await _create(under_a, "former")
    under_b = await deployments.open(ceremony_b.recovery_key)
    current = await _create(under_b, "current")
    current_theirs = await _create(under_b, "current-theirs", OTHER_KEY)
    before = await _state(under_b)

    with EncryptionKey.from_text(KEY) as key:
        progress = await under_b.escrow_all()(key, actor="ops")

    assert (progress.escrowed, progress.current) == (3, 2)
    assert progress.other_key == [theirs.id]
    assert progress.failed == [broken.id]
    assert progress.seen == 7
    for wallet in (*without, former):
        escrow = await _assert_escrowed_to(under_b, wallet, ceremony_b)
        with pytest.raises(EscrowUnreadable):
            _opener(ceremony_a).open(escrow.sealed_seed)
        *earlier, last = await _events(under_b, wallet.id)
        assert earlier == before.events[wallet.id]
        assert (last.type, last.token_id) == ("escrowed", "ops")
        assert last.details == {"recovery_key_id": ceremony_b.recovery_key.key_id}
    after = await _state(under_b)
    assert after.wallets == before.wallets
    for wallet in (theirs, broken, current, current_theirs):
        assert after.events[wallet.id] == before.events[wallet.id]
    for wallet in (theirs, broken):
        assert await _escrow(under_b, wallet.id) is None
    await _assert_audit_trail_verifies(under_b, 7)

    with EncryptionKey.from_text(KEY) as key:
        again = await under_b.escrow_all()(key)
    assert (again.escrowed, again.current) == (0, 5)
    assert (again.other_key, again.failed) == ([theirs.id], [broken.id])
    assert await _state(under_b) == after


async def test_escrow_all_dry_run_writes_nothing(
    deployments: Deployments, ceremony_a: Ceremony
) -> None:
    bare = await deployments.open(None)
    for user_id in ("ada", "bob", "cy"):
        await _create(bare, user_id)
    container = await deployments.open(ceremony_a.recovery_key)
    before = await _state(container)
    with EncryptionKey.from_text(KEY) as key:
        progress = await container.escrow_all()(key, dry_run=True)
    assert progress.escrowed == 3
    assert await _state(container) == before
    assert before.escrows == []


async def test_escrow_all_resumes_after_a_failure_mid_run(
    memory: Deployments, ceremony_a: Ceremony
) -> None:
    bare = await memory.open(None)
    users = [f"user-{n}" for n in range(5)]
    created = [await _create(bare, user_id) for user_id in users]
    created.sort(key=lambda wallet: wallet.id)  # batches go in id order
    container = await memory.open(ceremony_a.recovery_key)
    faults = Faults()
    batches: list[int] = []

    def fail_in_the_second_batch(progress: EscrowProgress) -> None:
        batches.append(progress.escrowed)
        if len(batches) == 1:
            faults.arm("escrows.put")

    with (
        faulty_ports(container, faults),
        EncryptionKey.from_text(KEY) as key,
        pytest.raises(InjectedFault),
    ):
        await container.escrow_all()(key, on_batch=fail_in_the_second_batch)
    assert faults.fired == ["escrows.put"]
    assert batches == [BATCH]
    escrowed = {escrow.wallet_id for escrow in (await _state(container)).escrows}
    assert escrowed == {wallet.id for wallet in created[:BATCH]}

    with EncryptionKey.from_text(KEY) as key:
        progress = await container.escrow_all()(key)
    assert (progress.escrowed, progress.current) == (len(users) - BATCH, BATCH)
    for wallet in created:
        await _assert_escrowed_to(container, wallet, ceremony_a)
        types = [event.type for event in await _events(container, wallet.id)]
        assert types == ["created", "escrowed"]
    await _assert_audit_trail_verifies(container, len(users))


async def test_escrow_all_without_a_recovery_key_is_invalid_input(memory: Deployments) -> None:
    container = await memory.open(None)
    await _create(container, "ada")
    before = await _state(container)
    with EncryptionKey.from_text(KEY) as key, pytest.raises(InvalidInput) as raised:
        await container.escrow_all()(key)
    assert raised.value.field is Field.RECOVERY_PUBLIC_KEY
    _assert_tells_no_secret(raised.value, _secrets_of())
    assert await _state(container) == before


# -- RestoreWallets -------------------------------------------------------------------------------


async def test_restore_one_user_reseals_it_under_the_new_key(
    deployments: Deployments, ceremony_a: Ceremony
) -> None:
    container = await deployments.open(ceremony_a.recovery_key)
    ada = await _create(container, "ada")
    bob = await _create(container, "bob")
    escrow = await _assert_escrowed_to(container, ada, ceremony_a)
    bobs_before = (await _state(container)).events[bob.id]

    with EncryptionKey.from_text(NEW_KEY) as new_key:
        progress = await container.restore_wallets()(
            _opener(ceremony_a), new_key, user_id="ada", actor="ops"
        )

    assert (progress.restored, progress.already) == (1, 0)
    assert (progress.without_escrow, progress.unreadable) == ([], [])
    restored = await _wallet(container, "ada")
    assert (restored.id, restored.public_key, restored.status) == (
        ada.id,
        ada.public_key,
        WalletStatus.ACTIVE,
    )
    assert restored.encrypted_key != ada.encrypted_key
    assert await _escrow(container, ada.id) == escrow  # under the configured key already
    last = (await _events(container, ada.id))[-1]
    assert (last.type, last.token_id) == ("recovered", "ops")
    assert last.details == {"recovery_key_id": ceremony_a.recovery_key.key_id}
    assert await _wallet(container, "bob") == bob  # not asked for: untouched
    assert (await _events(container, bob.id)) == bobs_before
    await _assert_opens_only_with(container, "ada", NEW_KEY, KEY)
    await _assert_opens_only_with(container, "bob", KEY, NEW_KEY)
    await _assert_audit_trail_verifies(container, 2)

    with EncryptionKey.from_text(NEW_KEY) as new_key:
        again = await container.restore_wallets()(_opener(ceremony_a), new_key, user_id="ada")
    assert (again.restored, again.already) == (0, 1)


async def test_restore_recovers_a_wallet_whose_backend_key_is_lost(
    memory: Deployments, ceremony_a: Ceremony
) -> None:
    """The escrow holds the plain seed: a wallet whose second factor was wrapped by a backend
    key that is gone (KmsKeyMismatch on opening) is restored under the backend in use now.
    """
    container = await memory.open(ceremony_a.recovery_key)
    _use_backend(container, InMemoryKeyWrapper())
    ada = await _create(container, "ada")
    _use_backend(container, InMemoryKeyWrapper())  # the first backend key is lost
    with pytest.raises(KmsKeyMismatch):
        await _sign(container, "ada", KEY)
    with EncryptionKey.from_text(NEW_KEY) as new_key:
        progress = await container.restore_wallets()(_opener(ceremony_a), new_key, user_id="ada")
    assert (progress.restored, progress.unreadable) == (1, [])
    assert (await _wallet(container, "ada")).public_key == ada.public_key
    await _assert_opens_only_with(container, "ada", NEW_KEY, KEY)


def _use_backend(container: Container, wrapper: InMemoryKeyWrapper) -> None:
    """From now on `wrapper` is the deployment's key-management backend."""
    container.key_wrapper.override(providers.Object(wrapper))
    container.cipher.reset()


async def test_restore_all_reseals_every_escrowed_wallet_and_lists_the_others(
    deployments: Deployments, ceremony_a: Ceremony, ceremony_b: Ceremony
) -> None:
    bare = await deployments.open(None)
    without = await _create(bare, "without-escrow")
    under_b = await deployments.open(ceremony_b.recovery_key)
    foreign = await _create(under_b, "foreign")
    container = await deployments.open(ceremony_a.recovery_key)
    users = ["ada", "bob", "cy", "dee"]  # more than one batch
    mine = [await _create(container, user_id) for user_id in users]
    await _create(container, "other-caller", OTHER_KEY)
    await container.suspend_wallet()("dee")
    before = await _state(container)
    untouched = {wallet.id for wallet in (without, foreign)}

    with EncryptionKey.from_text(NEW_KEY) as new_key:
        progress = await container.restore_wallets()(_opener(ceremony_a), new_key, actor="ops")

    assert (progress.restored, progress.already) == (5, 0)
    assert progress.without_escrow == [without.id]
    assert progress.unreadable == [foreign.id]
    after = await _state(container)
    for wallet in before.wallets:
        changed = next(w for w in after.wallets if w.id == wallet.id)
        assert (changed.user_id, changed.public_key, changed.status) == (
            wallet.user_id,
            wallet.public_key,
            wallet.status,
        )
        if wallet.id in untouched:
            assert changed == wallet
            assert after.events[wallet.id] == before.events[wallet.id]
        else:
            assert after.events[wallet.id][:-1] == before.events[wallet.id]
            assert after.events[wallet.id][-1].type == "recovered"
    assert after.escrows == before.escrows
    for user_id in ("ada", "bob", "cy", "other-caller"):
        await _assert_opens_only_with(container, user_id, NEW_KEY, KEY, OTHER_KEY)
    assert (await _wallet(container, "dee")).status is WalletStatus.SUSPENDED
    await container.resume_wallet()("dee")
    await _assert_opens_only_with(container, "dee", NEW_KEY, KEY)
    await _assert_opens_only_with(bare, "without-escrow", KEY, NEW_KEY)
    await _assert_opens_only_with(under_b, "foreign", KEY, NEW_KEY)
    await _assert_audit_trail_verifies(container, len(mine) + 3)

    settled = await _state(container)
    with EncryptionKey.from_text(NEW_KEY) as new_key:
        again = await container.restore_wallets()(_opener(ceremony_a), new_key)
    assert (again.restored, again.already) == (0, 5)
    assert (again.without_escrow, again.unreadable) == ([without.id], [foreign.id])
    assert await _state(container) == settled


@pytest.mark.parametrize("one_user", [False, True], ids=["all", "one"])
async def test_restore_dry_run_writes_nothing(
    deployments: Deployments, ceremony_a: Ceremony, one_user: bool
) -> None:
    container = await deployments.open(ceremony_a.recovery_key)
    for user_id in ("ada", "bob", "cy"):
        await _create(container, user_id)
    before = await _state(container)
    with EncryptionKey.from_text(NEW_KEY) as new_key:
        progress = await container.restore_wallets()(
            _opener(ceremony_a), new_key, user_id="ada" if one_user else None, dry_run=True
        )
    assert progress.restored == (1 if one_user else 3)
    assert await _state(container) == before
    await _assert_opens_only_with(container, "ada", KEY, NEW_KEY)


async def test_restore_escrows_anew_when_the_configured_recovery_key_changed(
    deployments: Deployments, ceremony_a: Ceremony, ceremony_b: Ceremony
) -> None:
    under_a = await deployments.open(ceremony_a.recovery_key)
    ada = await _create(under_a, "ada")
    old = await _assert_escrowed_to(under_a, ada, ceremony_a)
    under_b = await deployments.open(ceremony_b.recovery_key)

    with EncryptionKey.from_text(NEW_KEY) as new_key:
        progress = await under_b.restore_wallets()(_opener(ceremony_a), new_key)

    assert progress.restored == 1
    new = await _assert_escrowed_to(under_b, ada, ceremony_b)
    assert new.sealed_seed != old.sealed_seed
    with pytest.raises(EscrowUnreadable):
        _opener(ceremony_a).open(new.sealed_seed)
    last = (await _events(under_b, ada.id))[-1]
    assert last.type == "recovered"
    assert last.details == {"recovery_key_id": ceremony_a.recovery_key.key_id}  # the one used
    await _assert_opens_only_with(under_b, "ada", NEW_KEY, KEY)
    await _assert_audit_trail_verifies(under_b, 1)


async def test_an_escrow_holding_another_wallets_seed_is_refused(
    deployments: Deployments, ceremony_a: Ceremony
) -> None:
    """The public-key check: a sealed seed swapped for another wallet's opens with the right
    recovery key, but is not this wallet's seed."""
    container = await deployments.open(ceremony_a.recovery_key)
    ada = await _create(container, "ada")
    bob = await _create(container, "bob")
    adas = await _assert_escrowed_to(container, ada, ceremony_a)
    bobs = await _assert_escrowed_to(container, bob, ceremony_a)
    swapped = Escrow(ada.id, adas.recovery_key_id, bobs.sealed_seed, utc_now())
    await _put_escrow(container, swapped)
    before = await _state(container)

    with EncryptionKey.from_text(NEW_KEY) as new_key:
        progress = await container.restore_wallets()(_opener(ceremony_a), new_key)

    assert progress.unreadable == [ada.id]
    assert progress.restored == 1
    after = await _state(container)
    assert await _wallet(container, "ada") == ada
    assert after.events[ada.id] == before.events[ada.id]
    assert await _escrow(container, ada.id) == swapped
    await _assert_opens_only_with(container, "ada", KEY, NEW_KEY)
    await _assert_opens_only_with(container, "bob", NEW_KEY, KEY)

    opener = _opener(ceremony_a)
    with pytest.raises(EscrowUnreadable) as raised:
        opened_escrow(opener, swapped, ada.public_key, container.key_generator())
    assert raised.value.wallet_id == ada.id
    assert "another wallet's seed" in str(raised.value)
    seeds = (_seed_of(opener, adas), _seed_of(opener, bobs))
    _assert_tells_no_secret(raised.value, _secrets_of(ceremony_a, seeds=seeds))


async def test_restore_refusals_quote_no_secret(
    memory: Deployments, ceremony_a: Ceremony, ceremony_b: Ceremony
) -> None:
    container = await memory.open(ceremony_a.recovery_key)
    ada = await _create(container, "ada")
    seed = _seed_of(_opener(ceremony_a), await _assert_escrowed_to(container, ada, ceremony_a))
    secrets = _secrets_of(ceremony_a, ceremony_b, seeds=(seed,))
    before = await _state(container)

    with EncryptionKey.from_text(NEW_KEY) as new_key, pytest.raises(WalletNotFound) as missing:
        await container.restore_wallets()(_opener(ceremony_a), new_key, user_id="nobody")
    _assert_tells_no_secret(missing.value, secrets)
    for shares in (
        [ceremony_a.shares[0]],  # K - 1
        [ceremony_a.shares[0], ceremony_b.shares[1]],  # two ceremonies
        [ceremony_a.shares[0], ceremony_a.shares[1].replace(" ", "  x ", 1)],  # mistyped
    ):
        with pytest.raises(InvalidInput) as refused:
            RebuiltRecoveryKey(shares)
        assert refused.value.field is Field.RECOVERY_SHARES
        _assert_tells_no_secret(refused.value, secrets)
    assert await _state(container) == before


# -- ImportEscrows --------------------------------------------------------------------------------


async def _records(container: Container, user_ids: list[str]) -> list[EscrowResult]:
    return [await container.get_escrow()(user_id) for user_id in user_ids]


async def _delete_wallet_rows(container: Container) -> None:
    """`DELETE FROM wallets`, as a database restored to an earlier point would lose them: the
    events and escrows go with them (ON DELETE CASCADE)."""
    async with container.engine().begin() as connection:
        await connection.execute(text("DELETE FROM wallets"))
        for table in (wallets, wallet_events, wallet_escrows):
            count = await connection.scalar(select(func.count()).select_from(table))
            assert count == 0


async def _import(
    container: Container,
    ceremony: Ceremony,
    records: list[EscrowResult],
    *,
    dry_run: bool = False,
) -> ImportProgress:
    with EncryptionKey.from_text(NEW_KEY) as new_key:
        return await container.import_escrows()(
            _opener(ceremony), new_key, records, dry_run=dry_run, actor="ops"
        )


async def test_import_makes_deleted_wallets_again_under_the_new_key(
    sqlite: Deployments, ceremony_a: Ceremony
) -> None:
    container = await sqlite.open(ceremony_a.recovery_key)
    users = ["ada", "bob", "cy"]
    created = [await _create(container, user_id) for user_id in users]
    records = await _records(container, users)
    await _delete_wallet_rows(container)

    with EncryptionKey.from_text(NEW_KEY) as new_key:
        progress = await container.import_escrows()(
            _opener(ceremony_a), new_key, records, actor="ops"
        )

    assert (progress.imported, progress.present) == (3, 0)
    assert (progress.conflicts, progress.unknown_users, progress.unreadable) == ([], [], [])
    for wallet, record in zip(created, records, strict=True):
        made = await _wallet(container, wallet.user_id)
        assert (made.id, made.public_key, made.status) == (
            wallet.id,
            wallet.public_key,
            WalletStatus.ACTIVE,
        )
        await _assert_escrowed_to(container, made, ceremony_a)
        anew = await container.get_escrow()(wallet.user_id)  # sealed again: a new box
        assert replace(anew, sealed_seed=record.sealed_seed) == record
        first, second = await _events(container, wallet.id)
        assert (first.type, first.sequence, first.token_id) == ("created", 1, "ops")
        assert first.details == {"imported": "escrow"}
        assert (second.type, second.sequence) == ("recovered", 2)
        assert second.details == {
            "recovery_key_id": ceremony_a.recovery_key.key_id,
            "source": "escrow record",
        }
        await _assert_opens_only_with(container, wallet.user_id, NEW_KEY, KEY)
    await _assert_audit_trail_verifies(container, len(users))

    state = await _state(container)
    again = await _import(container, ceremony_a, records)
    assert (again.imported, again.present) == (0, 3)
    assert await _state(container) == state


async def test_import_refuses_records_it_cannot_make_again(
    sqlite: Deployments, ceremony_a: Ceremony
) -> None:
    container = await sqlite.open(ceremony_a.recovery_key)
    users = ["ada", "bob", "cy", "dee"]
    for user_id in users:
        await _create(container, user_id)
    ada, bob, cy, dee = await _records(container, users)
    await _delete_wallet_rows(container)
    bobs_new = await _create(container, "bob")  # bob has another wallet now
    records = [
        ada,
        bob,
        replace(cy, sealed_seed=_flipped(cy.sealed_seed)),
        replace(dee, sealed_seed=ada.sealed_seed),  # another wallet's seed
        replace(dee, user_id="ghost"),
    ]

    with EncryptionKey.from_text(NEW_KEY) as new_key:
        progress = await container.import_escrows()(_opener(ceremony_a), new_key, records)

    assert (progress.imported, progress.present) == (1, 0)
    assert progress.conflicts == [bob.wallet_id]
    assert progress.unreadable == [cy.wallet_id, dee.wallet_id]
    assert progress.unknown_users == [dee.wallet_id]
    assert {wallet.user_id for wallet in (await _state(container)).wallets} == {"ada", "bob"}
    assert await _wallet(container, "bob") == bobs_new
    await _assert_opens_only_with(container, "bob", KEY, NEW_KEY)
    await _assert_opens_only_with(container, "ada", NEW_KEY, KEY)
    state = await _state(container)

    with EncryptionKey.from_text(NEW_KEY) as new_key:
        again = await container.import_escrows()(_opener(ceremony_a), new_key, [ada])
    assert (again.imported, again.present) == (0, 1)
    assert await _state(container) == state
    await _assert_audit_trail_verifies(container, 2)


async def test_import_dry_run_writes_nothing(sqlite: Deployments, ceremony_a: Ceremony) -> None:
    container = await sqlite.open(ceremony_a.recovery_key)
    users = ["ada", "bob", "cy"]
    for user_id in users:
        await _create(container, user_id)
    records = await _records(container, users)
    await _delete_wallet_rows(container)
    before = await _state(container)

    with EncryptionKey.from_text(NEW_KEY) as new_key:
        progress = await container.import_escrows()(
            _opener(ceremony_a), new_key, records, dry_run=True
        )

    assert progress.imported == 3
    assert await _state(container) == before == State([], [], {})
