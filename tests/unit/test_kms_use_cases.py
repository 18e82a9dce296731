"""The use cases with a key-management backend, on the in-memory adapters: v2 wallets are made,
used and rotated; RewrapAll follows the backend's key rotation; UpgradeEnvelopes moves v1 wallets
to v2; each is resumable; the backend is called as often as expected, and no more."""

import base64
from collections.abc import AsyncIterator
from typing import TypeVar

import pytest
from dependency_injector import providers
from nacl.public import PrivateKey, SealedBox
from stellar_sdk import Account, Asset, Keypair, Network, TransactionBuilder, TransactionEnvelope

from adapters.crypto.envelope_v2 import EnvelopeV2
from adapters.kms.base import WrappedShare
from adapters.kms.memory import InMemoryKeyWrapper
from application.create_user_wallet import CreateWalletRequest
from application.export_wallet import ExportRequest
from application.register_user import RegisterUserRequest
from application.results import WalletResult
from application.rotate_encryption_key import RotateKeyRequest
from application.sign_transaction import SignRequest, SignResult
from domain.errors import KmsKeyMismatch, KmsUnavailable, WalletKeyMismatch
from domain.model import Wallet
from domain.secrets import EncryptionKey
from entrypoints.container import Container, open_container
from tests.support import KEY, OTHER_KEY, settings_for

TESTNET = Network.TESTNET_NETWORK_PASSPHRASE
THIRD_KEY = "a third key, also sixteen+"
BATCH = 2
Wrapper = TypeVar("Wrapper", bound=InMemoryKeyWrapper)


class FlakyKeyWrapper(InMemoryKeyWrapper):
    """The in-memory backend, unavailable from its `fail_from`-th wrap on."""

    def __init__(self, fail_from: int) -> None:
        super().__init__()
        self.fail_from = fail_from
        self.wraps = 0

    async def wrap(self, share: bytes, context: bytes) -> WrappedShare:
        self.wraps += 1
        if self.wraps >= self.fail_from:
            raise KmsUnavailable(self.name, "TimeoutError")
        return await super().wrap(share, context)


@pytest.fixture
async def container() -> AsyncIterator[Container]:
    """In memory, no backend yet (v1 envelopes), small batches, exports allowed."""
    settings = settings_for("memory://", rotation_batch_size=BATCH, allow_export=True)
    async with open_container(settings) as ready:
        yield ready


@pytest.fixture
def wrapper(container: Container) -> InMemoryKeyWrapper:
    """The container's backend, installed before its cipher is first built."""
    return _use_backend(container, InMemoryKeyWrapper())


def _use_backend(container: Container, wrapper: Wrapper) -> Wrapper:
    """Make `wrapper` the container's backend from now on (the cipher is built again)."""
    container.key_wrapper.override(providers.Object(wrapper))
    container.cipher.reset()
    return wrapper


async def _create(container: Container, user_id: str, key: str = KEY) -> WalletResult:
    await container.register_user()(RegisterUserRequest(f"{user_id}@example.com", user_id))
    return await _replay(container, user_id, key)


async def _replay(container: Container, user_id: str, key: str = KEY) -> WalletResult:
    with EncryptionKey.from_text(key) as encryption_key:
        return await container.create_user_wallet()(CreateWalletRequest(user_id, encryption_key))


def _stored(container: Container, user_id: str) -> Wallet:
    return container.memory_store().wallets_by_user[user_id]


def _envelope(container: Container, user_id: str) -> str:
    return _stored(container, user_id).encrypted_key


async def _event_types(container: Container, user_id: str) -> list[str]:
    page = await container.list_wallet_events()(user_id)
    return [event.type for event in page.events]


async def _sign(container: Container, user_id: str, key: str = KEY) -> SignResult:
    source = _stored(container, user_id).public_key
    builder = TransactionBuilder(Account(source, 1234), TESTNET, base_fee=100)
    builder.append_payment_op(Keypair.random().public_key, Asset.native(), "1")
    xdr = builder.set_timeout(300).build().to_xdr()
    with EncryptionKey.from_text(key) as encryption_key:
        return await container.sign_transaction()(
            SignRequest(user_id, encryption_key, xdr, TESTNET)
        )


def _assert_signed_by(result: SignResult, public_key: str) -> None:
    envelope = TransactionEnvelope.from_xdr(result.signed_transaction_xdr, TESTNET)
    assert result.public_key == public_key
    Keypair.from_public_key(public_key).verify(envelope.hash(), envelope.signatures[-1].signature)


async def test_create_gives_a_v2_envelope_of_this_backend(
    container: Container, wrapper: InMemoryKeyWrapper
) -> None:
    created = await _create(container, "ada")
    assert created.created
    envelope = _envelope(container, "ada")
    assert envelope.startswith("wo2$argon2id$")
    assert EnvelopeV2.parse(envelope).share.backend == wrapper.name
    assert container.cipher().is_current(envelope)


async def test_backend_calls_per_creation_and_per_replay(
    container: Container, wrapper: InMemoryKeyWrapper
) -> None:
    await _create(container, "ada")
    assert wrapper.calls == 2  # the wrap, and the self-check's unwrap
    replayed = await _replay(container, "ada")
    assert not replayed.created
    assert wrapper.calls == 3
    with pytest.raises(WalletKeyMismatch):
        await _replay(container, "ada", OTHER_KEY)
    assert wrapper.calls == 4


async def test_replay_sign_rotate_and_export_work(
    container: Container, wrapper: InMemoryKeyWrapper
) -> None:
    created = await _create(container, "ada")
    replayed = await _replay(container, "ada")
    assert (replayed.wallet_id, replayed.public_key) == (created.wallet_id, created.public_key)

    calls = wrapper.calls
    _assert_signed_by(await _sign(container, "ada"), created.public_key)
    assert wrapper.calls == calls + 1

    with EncryptionKey.from_text(KEY) as old, EncryptionKey.from_text(OTHER_KEY) as new:
        await container.rotate_encryption_key()(RotateKeyRequest("ada", old, new))
    assert wrapper.calls == calls + 4  # open with the old key, wrap, the self-check's unwrap
    assert _envelope(container, "ada").startswith("wo2$")
    with pytest.raises(WalletKeyMismatch):
        await _sign(container, "ada", KEY)
    _assert_signed_by(await _sign(container, "ada", OTHER_KEY), created.public_key)

    recipient = PrivateKey.generate()
    with EncryptionKey.from_text(OTHER_KEY) as key:
        recipient_key = base64.b64encode(bytes(recipient.public_key)).decode()
        sealed = await container.export_wallet()(ExportRequest("ada", key, recipient_key))
    seed = SealedBox(recipient).decrypt(base64.b64decode(sealed))
    assert Keypair.from_raw_ed25519_seed(seed).public_key == created.public_key
    assert wrapper.calls == calls + 7  # a wrong caller key is told after the unwrap: one call
    events = ["created", "signed", "rotated", "signed", "exported"]
    assert await _event_types(container, "ada") == events


async def test_a_forgotten_backend_key_is_a_kms_key_mismatch_naming_the_wallet(
    container: Container, wrapper: InMemoryKeyWrapper
) -> None:
    created = await _create(container, "ada")
    wrapper.forget(EnvelopeV2.parse(_envelope(container, "ada")).share.key_ref)
    with pytest.raises(KmsKeyMismatch) as raised:
        await _sign(container, "ada")
    assert raised.value.wallet_id == created.wallet_id
    with pytest.raises(KmsKeyMismatch):
        await _replay(container, "ada")


async def test_rewrap_all_follows_the_backends_key_rotation(container: Container) -> None:
    await _create(container, "plain")  # v1: no backend yet
    _use_backend(container, InMemoryKeyWrapper())
    foreign = await _create(container, "foreign")  # v2 under another backend key
    wrapper = _use_backend(container, InMemoryKeyWrapper())
    users = [f"user-{n}" for n in range(3)]
    for user_id in users:
        await _create(container, user_id)
    before = {user_id: _envelope(container, user_id) for user_id in (*users, "plain", "foreign")}
    old = EnvelopeV2.parse(before[users[0]]).share.key_ref
    newest = await wrapper.rotate_key()

    progress = await container.rewrap_all()(actor="ops")

    assert (progress.rewrapped, progress.current, progress.without_second_factor) == (3, 0, 1)
    assert progress.failed == [foreign.wallet_id]
    for user_id in users:
        after = EnvelopeV2.parse(_envelope(container, user_id))
        assert after.share.key_ref == newest
        unchanged = EnvelopeV2.parse(before[user_id]).with_share(after.share)
        assert after == unchanged
        assert (await _event_types(container, user_id))[-1] == "rewrapped"
    for user_id in ("plain", "foreign"):
        assert _envelope(container, user_id) == before[user_id]
        assert (await _event_types(container, user_id)) == ["created"]

    again = await container.rewrap_all()()
    assert (again.rewrapped, again.current, again.without_second_factor) == (0, 3, 1)
    assert again.failed == [foreign.wallet_id]

    wrapper.forget(old)
    for user_id in users:
        assert not (await _replay(container, user_id)).created


async def test_rewrap_all_dry_run_writes_nothing(
    container: Container, wrapper: InMemoryKeyWrapper
) -> None:
    await _create(container, "ada")
    envelope = _envelope(container, "ada")
    await wrapper.rotate_key()
    progress = await container.rewrap_all()(dry_run=True)
    assert progress.rewrapped == 1
    assert _envelope(container, "ada") == envelope
    assert await _event_types(container, "ada") == ["created"]


async def test_rewrap_all_resumes_after_the_backend_fails(container: Container) -> None:
    wrapper = _use_backend(container, FlakyKeyWrapper(fail_from=1000))
    users = [f"user-{n}" for n in range(4)]
    for user_id in users:
        await _create(container, user_id)
    newest = await wrapper.rotate_key()
    wrapper.wraps, wrapper.fail_from = 0, BATCH + 1  # the first wallet of the second batch

    with pytest.raises(KmsUnavailable):
        await container.rewrap_all()()
    assert [_key_ref(container, u) == newest for u in users].count(True) == BATCH

    wrapper.fail_from = 1000
    progress = await container.rewrap_all()()
    assert (progress.rewrapped, progress.current) == (len(users) - BATCH, BATCH)


def _key_ref(container: Container, user_id: str) -> str:
    return EnvelopeV2.parse(_envelope(container, user_id)).share.key_ref


async def test_upgrade_envelopes_moves_one_keys_v1_wallets_to_v2(container: Container) -> None:
    mine = [f"mine-{n}" for n in range(3)]
    for user_id in mine:
        await _create(container, user_id)
    theirs = await _create(container, "theirs", OTHER_KEY)
    v1 = {user_id: _stored(container, user_id) for user_id in (*mine, "theirs")}
    wrapper = _use_backend(container, InMemoryKeyWrapper())

    with EncryptionKey.from_text(KEY) as key:
        progress = await container.upgrade_envelopes()(key, actor="ops")

    assert (progress.upgraded, progress.current, progress.failed) == (3, 0, [])
    assert progress.other_key == [theirs.wallet_id]
    for user_id in mine:
        wallet = _stored(container, user_id)
        assert wallet.encrypted_key.startswith("wo2$")
        assert EnvelopeV2.parse(wallet.encrypted_key).share.backend == wrapper.name
        assert (wallet.id, wallet.public_key) == (v1[user_id].id, v1[user_id].public_key)
        assert (await _event_types(container, user_id))[-1] == "upgraded"
        _assert_signed_by(await _sign(container, user_id), wallet.public_key)
    assert _stored(container, "theirs") == v1["theirs"]

    with EncryptionKey.from_text(KEY) as key:
        again = await container.upgrade_envelopes()(key)
    assert (again.upgraded, again.current, again.other_key) == (0, 3, [theirs.wallet_id])

    with EncryptionKey.from_text(OTHER_KEY) as key:
        theirs_run = await container.upgrade_envelopes()(key)
    assert (theirs_run.upgraded, theirs_run.current, theirs_run.other_key) == (1, 3, [])
    assert _envelope(container, "theirs").startswith("wo2$")


async def test_upgrade_envelopes_resumes_after_the_backend_fails(container: Container) -> None:
    users = [f"user-{n}" for n in range(4)]
    for user_id in users:
        await _create(container, user_id)
    flaky = _use_backend(container, FlakyKeyWrapper(fail_from=BATCH + 1))  # a wrap per upgrade

    with EncryptionKey.from_text(KEY) as key, pytest.raises(KmsUnavailable):
        await container.upgrade_envelopes()(key)
    upgraded = [_envelope(container, user_id).startswith("wo2$") for user_id in users]
    assert upgraded.count(True) == BATCH  # the first batch committed, the second rolled back

    flaky.fail_from = 1000
    with EncryptionKey.from_text(KEY) as key:
        progress = await container.upgrade_envelopes()(key)
    assert (progress.upgraded, progress.current) == (len(users) - BATCH, BATCH)
    with EncryptionKey.from_text(KEY) as key:
        last = await container.upgrade_envelopes()(key)
    assert (last.upgraded, last.current) == (0, len(users))


async def test_upgrade_envelopes_dry_run_writes_nothing(container: Container) -> None:
    await _create(container, "ada")
    envelope = _envelope(container, "ada")
    _use_backend(container, InMemoryKeyWrapper())
    with EncryptionKey.from_text(KEY) as key:
        progress = await container.upgrade_envelopes()(key, dry_run=True)
    assert progress.upgraded == 1
    assert _envelope(container, "ada") == envelope


async def test_v1_wallets_keep_working_once_a_backend_is_configured(container: Container) -> None:
    created = await _create(container, "ada")
    wrapper = _use_backend(container, InMemoryKeyWrapper())
    assert not (await _replay(container, "ada")).created
    _assert_signed_by(await _sign(container, "ada"), created.public_key)
    assert wrapper.calls == 0
    assert _envelope(container, "ada").startswith("wo1$")
    with EncryptionKey.from_text(KEY) as old, EncryptionKey.from_text(THIRD_KEY) as new:
        await container.rotate_encryption_key()(RotateKeyRequest("ada", old, new))
    assert _envelope(container, "ada").startswith("wo2$")  # a rotation writes the newest kind
    _assert_signed_by(await _sign(container, "ada", THIRD_KEY), created.public_key)


async def test_rewrap_all_lists_a_truncated_share_as_failed(
    container: Container, wrapper: InMemoryKeyWrapper
) -> None:
    created = await _create(container, "ada")
    parsed = EnvelopeV2.parse(_envelope(container, "ada"))
    share = WrappedShare(parsed.share.backend, parsed.share.key_ref, parsed.share.wrapped[:1])
    stored = _stored(container, "ada")
    damaged = stored.reencrypted(parsed.with_share(share).to_text())
    container.memory_store().wallets_by_user["ada"] = damaged
    await wrapper.rotate_key()
    progress = await container.rewrap_all()()
    assert progress.failed == [created.wallet_id]
