"""Property harness: random interleavings of the whole wallet lifecycle (register, create, replay,
get, sign, rotate one key or all, suspend, resume, export, list events, verify the audit trail;
with a key-management backend in half the runs, its key rotated and every wallet rewrapped)
on the in-memory adapters, built through the container with every port fault-injecting, so that
any step can fail at any repository call, commit or crypto step it makes.

After every step: the store equals the model (users, one wallet per user, status, export, the
type of every audit event), a step that raised changed nothing, every audit chain verifies, and
exactly one of the known keys (the model's, after rotations) opens each wallet, to its public key,
and with a backend every envelope is v2.
"""

import asyncio
import base64
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

import pytest
from dependency_injector import providers
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)
from nacl.public import PrivateKey, SealedBox
from stellar_sdk import Account, Asset, Keypair, Network, TransactionBuilder, TransactionEnvelope

from adapters.crypto.envelope_v2 import EnvelopeV2
from adapters.kms.memory import InMemoryKeyWrapper
from application.create_user_wallet import CreateWalletRequest
from application.export_wallet import ExportRequest
from application.register_user import RegisterUserRequest
from application.results import UserResult, WalletResult
from application.rewrap_all import RewrapProgress
from application.rotate_all_keys import RotationProgress
from application.rotate_encryption_key import RotateKeyRequest
from application.sign_transaction import SignRequest, SignResult
from application.wallet_events import AuditReport, EventPage
from domain.audit import EventType, first_broken_link
from domain.errors import (
    DomainError,
    ExportDisabled,
    InvalidInput,
    StoreUnavailable,
    UserConflict,
    UserNotFound,
    WalletExistsUnderAnotherKey,
    WalletKeyMismatch,
    WalletNotFound,
    WalletSuspended,
)
from domain.model import WalletStatus
from domain.secrets import EncryptionKey
from entrypoints.container import build_container
from tests.support import Faults, InjectedFault, StoreSnapshot, faulty_ports, settings_for

T = TypeVar("T")
Refusal = type[DomainError] | None

KEYS = ("key-one-0123456789", "key-two-0123456789", "key-three-0123456789")
KEY_CHOICES = st.none() | st.sampled_from(KEYS)
"""A caller key, or None: the key that opens the user's wallet, so that uses often succeed."""
USER_IDS = st.sampled_from(["ada", "bob", "émile", "ユーザー", "o'brien"])
ALLOWED_NETWORKS = (Network.TESTNET_NETWORK_PASSPHRASE, Network.PUBLIC_NETWORK_PASSPHRASE)
NETWORKS = st.sampled_from([*ALLOWED_NETWORKS, Network.FUTURENET_NETWORK_PASSPHRASE])


@dataclass(frozen=True)
class Fault:
    """The index of the call that fails, and how: with our InjectedFault, or with the error a
    real store raises when it cannot do the work (which must not be mistaken for a refusal).
    """

    at: int
    as_store_error: bool

    def error(self) -> Exception:
        return StoreUnavailable("InjectedFault") if self.as_store_error else InjectedFault()


CALLS = 11
"""The most calls (`Faults.trace`) a step on one wallet makes, measured by counting every rule's
unfaulted steps over a few hundred runs of this machine: a rotation's 11 (two keys prepared; the
wallet read, opened, resealed and opened again to check; held, updated, its event chained and
appended; commit), then a signature's 10, with a backend or without. `attempt` fails a step
that makes more, so that no call of any rule goes unfaulted.
"""
FAULT = st.none() | st.builds(Fault, st.integers(min_value=0, max_value=CALLS - 1), st.booleans())
"""No fault, or a fault at any one call of a step on one wallet."""
BATCH = 2
BULK_CALLS = 43
"""The most calls a bulk step makes, measured on its worst case set up by hand (every user, 5,
with a wallet the old key opens): a bulk rotation's 2 + 3 * 2 + 5 * 7 (two keys prepared; per
batch of BATCH a page and a commit; per wallet the new key tried, the old one opening it, the
seal, its check, the update, its event chained and appended). A rewrap makes 3 * 2 + 5 * 4.
"""
BULK_FAULT = st.none() | st.builds(
    Fault, st.integers(min_value=0, max_value=BULK_CALLS - 1), st.booleans()
)
RECIPIENT = PrivateKey(bytes([5]) * 32)
RECIPIENT_KEY = base64.b64encode(bytes(RECIPIENT.public_key)).decode()
STRANGER = Keypair.from_raw_ed25519_seed(bytes([11]) * 32).public_key


@dataclass
class ModelWallet:
    """What the store must hold for one wallet, and the one known key that opens it."""

    wallet_id: str
    user_id: str
    public_key: str
    created_at: datetime
    key: str
    status: WalletStatus = WalletStatus.ACTIVE
    events: list[str] = field(default_factory=lambda: [EventType.CREATED])
    exported: bool = False

    @classmethod
    def of(cls, result: WalletResult, key: str) -> "ModelWallet":
        return cls(result.wallet_id, result.user_id, result.public_key, result.created_at, key)

    def matches(self, result: WalletResult) -> bool:
        seen = (result.wallet_id, result.user_id, result.public_key, result.created_at)
        return seen == (self.wallet_id, self.user_id, self.public_key, self.created_at) and (
            result.status is self.status
        )


class WalletMachine(RuleBasedStateMachine):
    """The model: which users exist, and each wallet's identity, key, status and events."""

    users = Bundle("users")
    wallet_owners = Bundle("wallet_owners")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.faults = Faults()
        self.ports = ExitStack()
        self.registered: dict[str, str] = {}
        self.wallets: dict[str, ModelWallet] = {}

    @initialize(
        targets=(users, wallet_owners),
        allow_export=st.booleans(),
        with_kms=st.booleans(),
        seeded=st.lists(st.tuples(USER_IDS, st.sampled_from(KEYS)), min_size=1, max_size=3),
    )
    def build(
        self, allow_export: bool, with_kms: bool, seeded: list[tuple[str, str]]
    ) -> MultipleResults[str]:
        """The container, with a key-management backend or without; and, so that runs start
        deep, a few users with wallets already.
        """
        self.allow_export = allow_export
        self.container = build_container(
            settings_for("memory://", allow_export=allow_export, rotation_batch_size=BATCH)
        )
        self.wrapper = InMemoryKeyWrapper() if with_kms else None
        if self.wrapper is not None:
            self.container.key_wrapper.override(providers.Object(self.wrapper))
        self.store = self.container.memory_store()
        # The real ports, taken before the faulty ones replace them: checks must not reach faults.
        self.cipher = self.container.cipher()
        self.key_generator = self.container.key_generator()
        self.ports.enter_context(faulty_ports(self.container, self.faults))
        for user_id, key in seeded:
            self.register(user_id, None, None)
            self.create(user_id, key, None)
        return multiple(*self.wallets)

    def run(self, coroutine: Awaitable[T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def attempt(
        self,
        operation: Callable[[], Awaitable[T]],
        fault: Fault | None,
        *,
        atomic: bool = True,
        calls: int = CALLS,
    ) -> T | DomainError | None:
        """Run one operation, the fault's call failing (if it gets that far). Returns its result,
        its refusal, or None when the fault fired; a failure (when `atomic`) must leave the store
        exactly as it was. The operation may make at most `calls` calls, the faults' reach.
        """
        before, fired = StoreSnapshot.of(self.store), len(self.faults.fired)
        self.faults.trace.clear()
        injected = None if fault is None else fault.error()
        if fault is not None:
            self.faults.arm_call(fault.at, injected)
        outcome: T | InjectedFault | DomainError
        try:
            outcome = self.run(operation())
        except (InjectedFault, DomainError) as error:
            outcome = error
        finally:
            self.faults.disarm()
        faulted = len(self.faults.fired) > fired
        assert len(self.faults.trace) <= calls, f"{self.faults.trace}: raise the faults' reach"
        # A fault that fired must surface as itself: not swallowed, not disguised, not retried.
        assert (outcome is injected) == faulted, repr(outcome)
        if atomic and isinstance(outcome, Exception):
            assert StoreSnapshot.of(self.store) == before, "a failed step left something behind"
        if faulted:
            return None
        assert not isinstance(outcome, InjectedFault), "a fault fired in another step"
        return outcome

    @staticmethod
    def ended(outcome: object, expected: Refusal) -> bool:
        """Whether the step is over: the fault fired, or the expected refusal came."""
        if outcome is None:
            return True
        if expected is None:
            assert not isinstance(outcome, DomainError), repr(outcome)
            return False
        assert type(outcome) is expected, f"{outcome!r}, expected {expected.__name__}"
        return True

    def refusal_of_use(self, user_id: str, key: str) -> Refusal:
        """What sign, rotate and export must refuse with, if anything."""
        wallet = self.wallets.get(user_id)
        if wallet is None:
            return WalletNotFound
        if wallet.status is WalletStatus.SUSPENDED:
            return WalletSuspended
        return None if wallet.key == key else WalletKeyMismatch

    def key_of(self, user_id: str, key: str | None) -> str:
        """The key drawn, or (for None) the one that opens the user's wallet."""
        wallet = self.wallets.get(user_id)
        return key or (KEYS[0] if wallet is None else wallet.key)

    @rule(target=users, user_id=USER_IDS, email_of=st.none() | USER_IDS, fault=FAULT)
    def register(
        self, user_id: str, email_of: str | None, fault: Fault | None
    ) -> str | MultipleResults[str]:
        email = f"{email_of or user_id}@example.com"
        if user_id in self.registered:
            expected = None if self.registered[user_id] == email else UserConflict
        else:
            expected = UserConflict if email in self.registered.values() else None
        request = RegisterUserRequest(email, user_id)
        outcome = self.attempt(lambda: self.container.register_user()(request), fault)
        if self.ended(outcome, expected):
            return multiple()
        assert isinstance(outcome, UserResult)
        assert (outcome.id, outcome.email) == (user_id, email)
        assert outcome.created == (user_id not in self.registered)
        self.registered[user_id] = email
        return user_id

    async def _create(self, user_id: str, key: str) -> WalletResult:
        with EncryptionKey.from_text(key) as encryption_key:
            return await self.container.create_user_wallet()(
                CreateWalletRequest(user_id, encryption_key)
            )

    def refusal_of_creation(self, user_id: str, key: str) -> Refusal:
        if user_id in self.wallets:
            return None if self.wallets[user_id].key == key else WalletExistsUnderAnotherKey
        return None if user_id in self.registered else UserNotFound

    def created(self, user_id: str, key: str, result: WalletResult) -> None:
        """Check a creation's result against the model, and record a new wallet."""
        known = self.wallets.get(user_id)
        assert result.created == (known is None)
        if known is None:
            self.wallets[user_id] = ModelWallet.of(result, key)
        assert self.wallets[user_id].matches(result)

    @rule(target=wallet_owners, user_id=users | USER_IDS, key=KEY_CHOICES, fault=FAULT)
    def create(
        self, user_id: str, key: str | None, fault: Fault | None
    ) -> str | MultipleResults[str]:
        caller_key = self.key_of(user_id, key)
        outcome = self.attempt(lambda: self._create(user_id, caller_key), fault)
        if self.ended(outcome, self.refusal_of_creation(user_id, caller_key)):
            return multiple()
        assert isinstance(outcome, WalletResult)
        self.created(user_id, caller_key, outcome)
        return user_id

    @rule(
        target=wallet_owners,
        user_id=users | USER_IDS,
        key=st.sampled_from(KEYS),
        copies=st.integers(min_value=2, max_value=6),
    )
    def create_concurrently(self, user_id: str, key: str, copies: int) -> MultipleResults[str]:
        async def all_at_once() -> list[WalletResult | BaseException]:
            calls = (self._create(user_id, key) for _ in range(copies))
            return await asyncio.gather(*calls, return_exceptions=True)

        outcomes = self.run(all_at_once())
        expected = self.refusal_of_creation(user_id, key)
        if expected is not None:
            assert all(type(outcome) is expected for outcome in outcomes), outcomes
            return multiple()
        results = [outcome for outcome in outcomes if isinstance(outcome, WalletResult)]
        assert len(results) == copies, outcomes
        assert sum(result.created for result in results) == (user_id not in self.wallets)
        assert len({result.wallet_id for result in results}) == 1
        self.created(user_id, key, max(results, key=lambda result: result.created))
        return multiple(user_id)

    @rule(user_id=wallet_owners | USER_IDS, fault=FAULT)
    def get(self, user_id: str, fault: Fault | None) -> None:
        expected = None if user_id in self.wallets else WalletNotFound
        outcome = self.attempt(lambda: self.container.get_wallet_by_user()(user_id), fault)
        if not self.ended(outcome, expected):
            assert isinstance(outcome, WalletResult)
            assert self.wallets[user_id].matches(outcome)

    @rule(user_id=users | USER_IDS, fault=FAULT)
    def get_user(self, user_id: str, fault: Fault | None) -> None:
        expected = None if user_id in self.registered else UserNotFound
        outcome = self.attempt(lambda: self.container.get_user()(user_id), fault)
        if not self.ended(outcome, expected):
            assert isinstance(outcome, UserResult)
            assert (outcome.id, outcome.email) == (user_id, self.registered[user_id])

    async def _sign(self, user_id: str, key: str, network: str) -> SignResult:
        wallet = self.wallets.get(user_id)
        xdr = _payment(STRANGER if wallet is None else wallet.public_key, network)
        with EncryptionKey.from_text(key) as encryption_key:
            request = SignRequest(user_id, encryption_key, xdr, network)
            return await self.container.sign_transaction()(request)

    @rule(user_id=wallet_owners | USER_IDS, key=KEY_CHOICES, network=NETWORKS, fault=FAULT)
    def sign(self, user_id: str, key: str | None, network: str, fault: Fault | None) -> None:
        caller_key = self.key_of(user_id, key)
        allowed = network in ALLOWED_NETWORKS
        expected = self.refusal_of_use(user_id, caller_key) if allowed else InvalidInput
        outcome = self.attempt(lambda: self._sign(user_id, caller_key, network), fault)
        if self.ended(outcome, expected):
            return
        assert isinstance(outcome, SignResult)
        wallet = self.wallets[user_id]
        _assert_signed_by(outcome, wallet.public_key, network)
        wallet.events.append(EventType.SIGNED)
        assert outcome.transaction_hash in self.store.events[wallet.wallet_id][-1].details.values()

    async def _rotate(self, user_id: str, key: str, new_key: str) -> WalletResult:
        with EncryptionKey.from_text(key) as old, EncryptionKey.from_text(new_key) as new:
            return await self.container.rotate_encryption_key()(RotateKeyRequest(user_id, old, new))

    @rule(
        user_id=wallet_owners | USER_IDS,
        key=KEY_CHOICES,
        new_key=st.sampled_from(KEYS),
        fault=FAULT,
    )
    def rotate(self, user_id: str, key: str | None, new_key: str, fault: Fault | None) -> None:
        caller_key = self.key_of(user_id, key)
        expected = self.refusal_of_use(user_id, caller_key)
        outcome = self.attempt(lambda: self._rotate(user_id, caller_key, new_key), fault)
        if not self.ended(outcome, expected):
            assert isinstance(outcome, WalletResult)
            wallet = self.wallets[user_id]
            assert wallet.matches(outcome)
            wallet.key = new_key
            wallet.events.append(EventType.ROTATED)

    async def _rotate_all(self, key: str, new_key: str) -> RotationProgress:
        with EncryptionKey.from_text(key) as old, EncryptionKey.from_text(new_key) as new:
            return await self.container.rotate_all_keys()(old, new)

    @rule(key=st.sampled_from(KEYS), new_key=st.sampled_from(KEYS), fault=BULK_FAULT)
    def rotate_all(self, key: str, new_key: str, fault: Fault | None) -> None:
        before = StoreSnapshot.of(self.store)
        outcome = self.attempt(
            lambda: self._rotate_all(key, new_key), fault, atomic=False, calls=BULK_CALLS
        )
        in_order = sorted(self.wallets.values(), key=lambda wallet: wallet.wallet_id)
        if outcome is None:
            # Batches commit one by one: those before the failing one stay rotated.
            done = self.faults.trace[:-1].count("commit") * BATCH
            for wallet in in_order[done:]:
                stored = self.store.wallets_by_user[wallet.user_id]
                assert stored == before.wallets_by_user[wallet.user_id]
                assert self.store.events[wallet.wallet_id] == before.events[wallet.wallet_id]
            in_order = in_order[:done]
        already = [wallet for wallet in in_order if wallet.key == new_key]
        rotated = [wallet for wallet in in_order if wallet.key == key != new_key]
        unopenable = [wallet for wallet in in_order if wallet.key not in {key, new_key}]
        if outcome is not None:
            assert isinstance(outcome, RotationProgress), repr(outcome)
            assert (outcome.rotated, outcome.already_rotated) == (len(rotated), len(already))
            assert outcome.unopenable == [wallet.wallet_id for wallet in unopenable]
        for wallet in rotated:
            wallet.key = new_key
            wallet.events.append(EventType.ROTATED)

    def has_kms(self) -> bool:
        return self.wrapper is not None

    @precondition(has_kms)
    @rule()
    def rotate_backend_key(self) -> None:
        assert self.wrapper is not None
        self.run(self.wrapper.rotate_key())

    @precondition(has_kms)
    @rule(fault=BULK_FAULT)
    def rewrap_all(self, fault: Fault | None) -> None:
        assert self.wrapper is not None
        newest = self.wrapper.newest
        before = StoreSnapshot.of(self.store)
        rewrap = self.container.rewrap_all()
        outcome = self.attempt(rewrap, fault, atomic=False, calls=BULK_CALLS)
        in_order = sorted(self.wallets.values(), key=lambda wallet: wallet.wallet_id)
        if outcome is None:
            done = self.faults.trace[:-1].count("commit") * BATCH
            for wallet in in_order[done:]:
                stored = self.store.wallets_by_user[wallet.user_id]
                assert stored == before.wallets_by_user[wallet.user_id]
            in_order = in_order[:done]
        stale = [
            wallet
            for wallet in in_order
            if _key_ref(before.wallets_by_user[wallet.user_id].encrypted_key) != newest
        ]
        if outcome is not None:
            assert isinstance(outcome, RewrapProgress), repr(outcome)
            assert (outcome.rewrapped, outcome.current) == (len(stale), len(in_order) - len(stale))
            assert (outcome.without_second_factor, outcome.failed) == (0, [])
        for wallet in stale:
            assert _key_ref(self.store.wallets_by_user[wallet.user_id].encrypted_key) == newest
            wallet.events.append(EventType.REWRAPPED)

    @rule(user_id=wallet_owners | USER_IDS, suspend=st.booleans(), fault=FAULT)
    def set_status(self, user_id: str, suspend: bool, fault: Fault | None) -> None:
        use_case = self.container.suspend_wallet() if suspend else self.container.resume_wallet()
        expected = None if user_id in self.wallets else WalletNotFound
        outcome = self.attempt(lambda: use_case(user_id), fault)
        if self.ended(outcome, expected):
            return
        assert isinstance(outcome, WalletResult)
        wallet = self.wallets[user_id]
        target = WalletStatus.SUSPENDED if suspend else WalletStatus.ACTIVE
        if wallet.status is not target:
            wallet.status = target
            wallet.events.append(EventType.SUSPENDED if suspend else EventType.RESUMED)
        assert wallet.matches(outcome)

    async def _export(self, user_id: str, key: str) -> str:
        with EncryptionKey.from_text(key) as encryption_key:
            request = ExportRequest(user_id, encryption_key, RECIPIENT_KEY)
            return await self.container.export_wallet()(request)

    @rule(user_id=wallet_owners | USER_IDS, key=KEY_CHOICES, fault=FAULT)
    def export(self, user_id: str, key: str | None, fault: Fault | None) -> None:
        caller_key = self.key_of(user_id, key)
        refusal = self.refusal_of_use(user_id, caller_key)
        expected = refusal if self.allow_export else ExportDisabled
        outcome = self.attempt(lambda: self._export(user_id, caller_key), fault)
        if self.ended(outcome, expected):
            return
        assert isinstance(outcome, str)
        seed = SealedBox(RECIPIENT).decrypt(base64.b64decode(outcome))
        wallet = self.wallets[user_id]
        assert Keypair.from_raw_ed25519_seed(seed).public_key == wallet.public_key
        wallet.exported = True
        wallet.events.append(EventType.EXPORTED)

    @rule(
        user_id=wallet_owners | USER_IDS,
        cursor=st.integers(min_value=0, max_value=6),
        limit=st.integers(min_value=1, max_value=4),
        fault=FAULT,
    )
    def list_events(self, user_id: str, cursor: int, limit: int, fault: Fault | None) -> None:
        expected = None if user_id in self.wallets else WalletNotFound
        list_events = self.container.list_wallet_events()
        outcome = self.attempt(lambda: list_events(user_id, cursor, limit), fault)
        if self.ended(outcome, expected):
            return
        assert isinstance(outcome, EventPage)
        events = self.wallets[user_id].events
        assert [event.type for event in outcome.events] == events[cursor : cursor + limit]
        sequences = [event.sequence for event in outcome.events]
        assert sequences == list(range(cursor + 1, cursor + 1 + len(sequences)))
        assert outcome.next_cursor == (cursor + limit if len(events) > cursor + limit else None)

    @rule(fault=FAULT)
    def verify_audit_trail(self, fault: Fault | None) -> None:
        outcome = self.attempt(self.container.verify_audit_trail(), fault)
        if not self.ended(outcome, None):
            assert isinstance(outcome, AuditReport)
            assert (outcome.wallets_checked, outcome.broken) == (len(self.wallets), [])

    @invariant()
    def store_matches_model(self) -> None:
        store, stored = self.store, self.store.wallets_by_user
        assert {user.id: user.email for user in store.users.values()} == self.registered
        assert store.user_ids_by_email == {email: id_ for id_, email in self.registered.items()}
        # At most one wallet per user: the model's, never replaced, each with its own keypair.
        assert set(stored) == set(self.wallets)
        assert len({wallet.id for wallet in stored.values()}) == len(stored)
        assert store.public_keys == {wallet.public_key for wallet in stored.values()}
        assert set(store.events) == {wallet.wallet_id for wallet in self.wallets.values()}
        assert (store.claims, store.locks) == ({}, {})
        for user_id, model in self.wallets.items():
            wallet = stored[user_id]
            assert model.matches(WalletResult.of(wallet))
            assert (wallet.exported_at is not None) == model.exported
            assert [event.type for event in store.events[wallet.id]] == model.events

    @invariant()
    def every_envelope_has_the_second_factor_when_there_is_a_backend(self) -> None:
        if self.wrapper is not None:
            for wallet in self.store.wallets_by_user.values():
                assert wallet.encrypted_key.startswith("wo2$")

    @invariant()
    def audit_chains_verify(self) -> None:
        for wallet_id, events in self.store.events.items():
            assert first_broken_link(wallet_id, events) is None

    @invariant()
    def only_the_known_key_opens_each_wallet(self) -> None:
        self.run(self._open_every_wallet_with_every_key())

    async def _open_every_wallet_with_every_key(self) -> None:
        for wallet in self.store.wallets_by_user.values():
            for key in KEYS:
                with EncryptionKey.from_text(key) as encryption_key:
                    opening = self.cipher.decrypt(
                        wallet.encrypted_key, encryption_key, wallet.binding
                    )
                    if key != self.wallets[wallet.user_id].key:
                        with pytest.raises(WalletKeyMismatch):
                            await opening
                        continue
                    with await opening as seed:
                        assert self.key_generator.public_key_of(seed) == wallet.public_key

    def teardown(self) -> None:
        self.ports.close()
        self.loop.run_until_complete(self.loop.shutdown_default_executor())
        self.loop.close()


def _key_ref(envelope: str) -> str:
    """The key version that wrapped a v2 envelope's second factor."""
    return EnvelopeV2.parse(envelope).share.key_ref


def _payment(source: str, network: str) -> str:
    """An unsigned payment from `source`, as base64 XDR."""
    builder = TransactionBuilder(Account(source, 1234), network, base_fee=100)
    builder.append_payment_op(STRANGER, Asset.native(), "12.5")
    return builder.set_timeout(300).build().to_xdr()


def _assert_signed_by(result: SignResult, public_key: str, network: str) -> None:
    envelope = TransactionEnvelope.from_xdr(result.signed_transaction_xdr, network)
    assert (result.public_key, result.transaction_hash) == (public_key, envelope.hash_hex())
    signature = envelope.signatures[-1].signature
    Keypair.from_public_key(public_key).verify(envelope.hash(), signature)  # raises if bad


WalletMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=30, deadline=None)
TestWalletMachine = WalletMachine.TestCase
