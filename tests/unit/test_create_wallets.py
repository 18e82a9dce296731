"""CreateWallets on the in-memory adapters: each item's outcome in order, one key preparation
for the batch, duplicates, items that fail alone, and a service failure that stops the batch
with the items before it done.
"""

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace

import pytest

from adapters.crypto.envelope import Envelope
from application.create_user_wallet import CreateWalletRequest
from application.create_wallets import CreateWalletsRequest, ItemOutcome
from application.register_user import RegisterUserRequest
from domain.errors import (
    EnvelopeTampered,
    InvalidInput,
    KeyDerivationBusy,
    KmsUnavailable,
    StoreUnavailable,
    UserNotFound,
    WalletExistsUnderAnotherKey,
)
from domain.secrets import EncryptionKey
from entrypoints.container import Container, open_container
from tests.support import KEY, OTHER_KEY, Faults, faulty_ports, rewrite_envelope, settings_for


@pytest.fixture
async def container() -> AsyncIterator[Container]:
    async with open_container(settings_for("memory://")) as ready:
        yield ready


async def _users(container: Container, *user_ids: str) -> None:
    for user_id in user_ids:
        await container.register_user()(RegisterUserRequest(f"{user_id}@example.com", user_id))


async def _batch(
    container: Container, user_ids: Sequence[str], key: str = KEY
) -> tuple[ItemOutcome, ...]:
    with EncryptionKey.from_text(key) as encryption_key:
        request = CreateWalletsRequest(user_ids, encryption_key, actor="tester")
        return await container.create_wallets()(request)


async def _single(container: Container, user_id: str, key: str = KEY) -> None:
    with EncryptionKey.from_text(key) as encryption_key:
        await container.create_user_wallet()(CreateWalletRequest(user_id, encryption_key))


def _kinds(outcomes: Sequence[ItemOutcome]) -> list[object]:
    """Each outcome as 201, 200 or the error's class."""
    return [
        type(o.error) if o.wallet is None else (201 if o.wallet.created else 200) for o in outcomes
    ]


async def test_each_item_gets_its_outcome_in_the_order_given(container: Container) -> None:
    await _users(container, "ada", "bob", "cy")
    await _single(container, "bob")
    await _single(container, "cy", OTHER_KEY)
    outcomes = await _batch(container, ["ada", "bob", "nobody", "cy", "../x", ""])
    assert [o.user_id for o in outcomes] == ["ada", "bob", "nobody", "cy", "../x", ""]
    assert _kinds(outcomes) == [
        201,
        200,
        UserNotFound,
        WalletExistsUnderAnotherKey,
        InvalidInput,
        InvalidInput,
    ]
    for outcome in outcomes[:2]:
        assert outcome.wallet is not None
        stored = await container.get_wallet_by_user()(outcome.user_id)
        assert stored == replace(outcome.wallet, created=False)


async def test_every_wallet_created_records_its_created_event(container: Container) -> None:
    await _users(container, "ada", "bob")
    await _batch(container, ["ada", "bob"])
    for user_id in ("ada", "bob"):
        page = await container.list_wallet_events()(user_id, 0, 10)
        assert [(e.type, e.token_id) for e in page.events] == [("created", "tester")]


async def test_the_key_is_prepared_once_for_the_whole_batch(container: Container) -> None:
    user_ids = [f"user-{n}" for n in range(5)]
    await _users(container, *user_ids)
    faults = Faults()
    with faulty_ports(container, faults):
        outcomes = await _batch(container, user_ids)
    assert _kinds(outcomes) == [201] * 5
    assert faults.trace.count("cipher.prepare") == 1
    assert container.key_cache().stats.derivations == 1


async def test_a_batch_of_unknown_users_prepares_no_key(container: Container) -> None:
    faults = Faults()
    with faulty_ports(container, faults):
        outcomes = await _batch(container, ["nobody", "no-one", "../x"])
    assert _kinds(outcomes) == [UserNotFound, UserNotFound, InvalidInput]
    assert "cipher.prepare" not in faults.trace
    assert "key_generator.generate" not in faults.trace
    assert container.key_cache().stats.derivations == 0


async def test_a_repeated_user_gets_the_first_occurrences_wallet_as_a_replay(
    container: Container,
) -> None:
    await _users(container, "ada", "bob")
    await _single(container, "bob")
    faults = Faults()
    with faulty_ports(container, faults):
        outcomes = await _batch(container, ["ada", "bob", "ada", "nobody", "bob", "nobody"])
    assert _kinds(outcomes) == [201, 200, 200, UserNotFound, 200, UserNotFound]
    first, _, again, *_ = outcomes
    assert first.wallet is not None
    assert again.wallet is not None
    assert (again.wallet.wallet_id, again.wallet.public_key) == (
        first.wallet.wallet_id,
        first.wallet.public_key,
    )
    assert faults.trace.count("wallets.get_by_existing_user") == 3  # each user read once
    assert faults.trace.count("wallets.add") == 1


async def test_an_item_that_fails_changes_nothing_for_the_others(container: Container) -> None:
    await _users(container, "ada", "bob", "cy")
    await _single(container, "bob")
    # bob's envelope damaged: his item fails alone, the items around it are created.
    await rewrite_envelope(container, "bob", _flipped)
    outcomes = await _batch(container, ["ada", "bob", "cy"])
    assert _kinds(outcomes) == [201, EnvelopeTampered, 201]


def _flipped(parsed: Envelope) -> Envelope:
    """One ciphertext byte flipped, the checksum fixed up, as a deliberate attacker would."""
    flipped = bytes([parsed.ciphertext[0] ^ 1]) + parsed.ciphertext[1:]
    return Envelope(parsed.params, parsed.salt, parsed.check, parsed.nonce, flipped)


class _FailingNth(Faults):
    """Faults whose `step` fails with `error` the `nth` time it is reached (from 1)."""

    def __init__(self, step: str, nth: int, error: Exception) -> None:
        super().__init__()
        self._step, self._left, self._error = step, nth, error

    def reached(self, step: str) -> None:
        super().reached(step)
        if step == self._step:
            self._left -= 1
            if self._left == 0:
                raise self._error


SERVICE_FAILURES = [
    ("wallets.get_by_existing_user", 3, StoreUnavailable("OSError")),
    ("creations.add", 3, StoreUnavailable("OSError")),
    ("cipher.encrypt", 3, KmsUnavailable("transit", "ConnectError")),
    ("cipher.prepare", 1, KeyDerivationBusy()),
]
"""The database gone at the third item's read or store, the key-management backend at its
sealing, no key-derivation slot for the batch's one preparation."""


@pytest.mark.parametrize(("step", "nth", "error"), SERVICE_FAILURES)
async def test_a_service_failure_stops_the_batch_and_a_retry_finishes_it(
    container: Container, step: str, nth: int, error: Exception
) -> None:
    user_ids = ["ada", "bob", "cy", "dee"]
    await _users(container, *user_ids)
    with faulty_ports(container, _FailingNth(step, nth, error)), pytest.raises(type(error)):
        await _batch(container, user_ids)
    done = nth - 1 if step != "cipher.prepare" else 0
    assert [await _has_wallet(container, u) for u in user_ids] == [n < done for n in range(4)]
    retried = await _batch(container, user_ids)
    assert _kinds(retried) == [200] * done + [201] * (4 - done)


async def _has_wallet(container: Container, user_id: str) -> bool:
    async with container.unit_of_work() as uow:
        return await uow.wallets.get_by_user(user_id) is not None


async def test_no_secret_in_the_request_the_key_holder_or_the_outcomes(
    container: Container,
) -> None:
    await _users(container, "ada", "bob")
    await _single(container, "bob", OTHER_KEY)
    with EncryptionKey.from_text(KEY) as key:
        request = CreateWalletsRequest(["ada", "bob", "nobody"], key)
        create = container.create_user_wallet()
        with create.key_once(key) as once:
            await once.prepared()
            shown = [repr(request), str(request), repr(once), str(once)]
        outcomes = await container.create_wallets()(request)
    shown += [repr(outcomes), *(str(o.error) for o in outcomes if o.error is not None)]
    for text in shown:
        assert KEY not in text
        assert KEY.encode().hex() not in text
