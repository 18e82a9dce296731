"""Property harness: random interleavings of register / create / replay / get on the in-memory
adapters, built through the container, with failures injected at any step."""

import asyncio
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from adapters.memory import InMemoryStore
from application.create_user_wallet import CreateWalletRequest
from application.register_user import RegisterUserRequest
from application.results import WalletResult
from domain.errors import DomainError, UserNotFound, WalletKeyMismatch, WalletNotFound
from domain.secrets import EncryptionKey
from entrypoints.container import build_container
from tests.support import Faults, InjectedFault, faulty_creation, settings_for

KEYS = st.sampled_from(["key-one-0123456789", "key-two-0123456789"])
USER_IDS = st.sampled_from(["ada", "bob", "émile", "ユーザー", "o'brien"])
FAULTS = st.none() | st.sampled_from(Faults.STEPS)


class WalletMachine(RuleBasedStateMachine):
    """The model: which users exist, which wallet (and key) each has."""

    users = Bundle("users")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.container = build_container(settings_for("memory://"))
        self.store: InMemoryStore = self.container.memory_store()
        self.faults = Faults()
        self._faulty = faulty_creation(self.container, self.faults)
        self._faulty.__enter__()
        self.registered: dict[str, str] = {}
        self.wallets: dict[str, tuple[WalletResult, str]] = {}

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    async def _create(self, user_id: str, key: str) -> WalletResult:
        with EncryptionKey.from_text(key) as encryption_key:
            return await self.container.create_user_wallet()(
                CreateWalletRequest(user_id, encryption_key)
            )

    @rule(target=users, user_id=USER_IDS)
    def register(self, user_id: str) -> str:
        email = f"{user_id}@example.com"
        result = self.run(self.container.register_user()(RegisterUserRequest(email, user_id)))
        assert result.created == (user_id not in self.registered)
        self.registered[user_id] = email
        return user_id

    @rule(user_id=users | USER_IDS, key=KEYS, fault=FAULTS)
    def create(self, user_id: str, key: str, fault: str | None) -> None:
        if fault is not None:
            self.faults.arm(fault)
        fired_before = len(self.faults.fired)
        try:
            result = self.run(self._create(user_id, key))
        except InjectedFault:
            assert len(self.faults.fired) == fired_before + 1
            return
        except DomainError as error:
            self._check_refusal(user_id, key, error)
            return
        finally:
            self.faults.armed.clear()
        self._check_success(user_id, key, result)

    @rule(user_id=users, key=KEYS, copies=st.integers(min_value=2, max_value=6))
    def create_concurrently(self, user_id: str, key: str, copies: int) -> None:
        async def all_at_once() -> list[WalletResult | BaseException]:
            calls = (self._create(user_id, key) for _ in range(copies))
            return await asyncio.gather(*calls, return_exceptions=True)

        outcomes = self.run(all_at_once())
        successes = [outcome for outcome in outcomes if isinstance(outcome, WalletResult)]
        if user_id in self.wallets and self.wallets[user_id][1] != key:
            assert all(isinstance(outcome, WalletKeyMismatch) for outcome in outcomes)
            return
        assert len(successes) == copies
        assert sum(result.created for result in successes) == (user_id not in self.wallets)
        assert len({result.wallet_id for result in successes}) == 1
        winner = next((result for result in successes if result.created), successes[0])
        self._check_success(user_id, key, winner)

    @rule(user_id=users | USER_IDS)
    def get(self, user_id: str) -> None:
        try:
            result = self.run(self.container.get_wallet_by_user()(user_id))
        except WalletNotFound:
            assert user_id not in self.wallets
            return
        assert _same_wallet(result, self.wallets[user_id][0])

    def _check_success(self, user_id: str, key: str, result: WalletResult) -> None:
        if user_id in self.wallets:
            known, known_key = self.wallets[user_id]
            assert not result.created
            assert known_key == key
            assert _same_wallet(result, known)
        else:
            assert result.created
            self.wallets[user_id] = (result, key)

    def _check_refusal(self, user_id: str, key: str, error: DomainError) -> None:
        if user_id not in self.registered:
            assert isinstance(error, UserNotFound)
        else:
            assert isinstance(error, WalletKeyMismatch)
            assert self.wallets[user_id][1] != key

    @invariant()
    def store_matches_model(self) -> None:
        stored = self.store.wallets_by_user
        assert set(stored) == set(self.wallets)
        assert set(stored) <= set(self.store.users)
        assert len(self.store.public_keys) == len(stored)
        assert self.store.claims == {}
        for user_id, wallet in stored.items():
            assert wallet.id == self.wallets[user_id][0].wallet_id

    def teardown(self) -> None:
        self._faulty.__exit__(None, None, None)
        self.loop.close()


def _same_wallet(left: WalletResult, right: WalletResult) -> bool:
    return (left.wallet_id, left.public_key, left.user_id, left.created_at) == (
        right.wallet_id,
        right.public_key,
        right.user_id,
        right.created_at,
    )


WalletMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
TestWalletMachine = WalletMachine.TestCase
