"""Proving a key again (`Cipher.verify`): an envelope the key opened before answers without being
opened again, and always as opening it would; anything changed is opened for real; v2 envelopes
always ask the backend; nothing secret is kept or shown."""

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stellar_sdk import Keypair

from adapters.crypto import cipher as cipher_module
from adapters.crypto.cipher import Argon2AeadCipher
from adapters.crypto.envelope import open_sealed
from adapters.crypto.key_cache import StretchedKeyCache
from adapters.crypto.opened_envelopes import OpenedEnvelopes
from adapters.kms.memory import InMemoryKeyWrapper
from domain.errors import DomainError, EnvelopeTampered, KmsKeyMismatch, WalletKeyMismatch
from domain.model import WalletBinding
from domain.secrets import EncryptionKey, SecretSeed
from tests.support import FAST_KDF, KEY, OTHER_KEY

SALT = bytes(range(16))
SEED = bytes(range(32))
ADA = WalletBinding("ada", Keypair.from_raw_ed25519_seed(SEED).public_key)
BOB = WalletBinding("bob", Keypair.random().public_key)
SCOPE = (SALT, FAST_KDF)
TTL = 600.0


def _cipher(
    cache_size: int = 4,
    wrapper: InMemoryKeyWrapper | None = None,
    opened: OpenedEnvelopes | None = None,
) -> Argon2AeadCipher:
    async def salt() -> bytes:
        return SALT

    keys = StretchedKeyCache(cache_size, 60.0)
    return Argon2AeadCipher(FAST_KDF, keys, salt, wrapper=wrapper, opened=opened)


async def _seal(cipher: Argon2AeadCipher, key: str = KEY, binding: WalletBinding = ADA) -> str:
    return await cipher.encrypt(SecretSeed(SEED), EncryptionKey.from_text(key), binding)


async def _verify(
    cipher: Argon2AeadCipher, envelope: str, key: str = KEY, binding: WalletBinding = ADA
) -> None:
    await cipher.verify(envelope, EncryptionKey.from_text(key), binding)


class _Openings:
    """Counts the AEAD openings of v1 envelopes the cipher does."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = open_sealed

        def counted(*args: object) -> bytes:
            self.count += 1
            return real(*args)  # type: ignore[arg-type]

        monkeypatch.setattr(cipher_module, "open_sealed", counted)


async def test_a_key_proven_once_is_proven_again_without_opening(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cipher = _cipher()
    envelope = await _seal(cipher)
    openings = _Openings(monkeypatch)
    await _verify(cipher, envelope)
    await _verify(cipher, envelope)
    await _verify(cipher, envelope)
    assert openings.count == 1


async def test_an_envelope_opened_by_decrypt_is_proven_without_opening_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cipher = _cipher()
    envelope = await _seal(cipher)
    (await cipher.decrypt(envelope, EncryptionKey.from_text(KEY), ADA)).wipe()
    openings = _Openings(monkeypatch)
    await _verify(cipher, envelope)
    assert openings.count == 0


async def test_another_key_is_a_mismatch_every_time() -> None:
    cipher = _cipher()
    envelope = await _seal(cipher)
    await _verify(cipher, envelope)
    for _ in range(2):
        with pytest.raises(WalletKeyMismatch):
            await _verify(cipher, envelope, OTHER_KEY)


async def test_the_same_envelope_under_another_binding_is_tampering() -> None:
    cipher = _cipher()
    envelope = await _seal(cipher)
    await _verify(cipher, envelope)
    with pytest.raises(EnvelopeTampered):
        await _verify(cipher, envelope, binding=BOB)


async def test_every_single_character_mutation_of_a_proven_envelope_is_tampering() -> None:
    cipher = _cipher()
    envelope = await _seal(cipher)
    await _verify(cipher, envelope)
    for index, original in enumerate(envelope):
        replacement = "A" if original != "A" else "B"
        with pytest.raises(EnvelopeTampered):
            await _verify(cipher, envelope[:index] + replacement + envelope[index + 1 :])
    await _verify(cipher, envelope)


async def test_an_envelope_resealed_under_a_new_key_is_opened_for_real(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cipher = _cipher()
    old = await _seal(cipher)
    await _verify(cipher, old)
    new = await _seal(cipher, OTHER_KEY)
    openings = _Openings(monkeypatch)
    with pytest.raises(WalletKeyMismatch):
        await _verify(cipher, new)
    await _verify(cipher, new, OTHER_KEY)
    assert openings.count == 2


async def test_a_proven_key_leaves_the_key_caches_probation() -> None:
    async def salt() -> bytes:
        return SALT

    keys = StretchedKeyCache(4, 60.0)
    cipher = Argon2AeadCipher(FAST_KDF, keys, salt)
    envelope = await _seal(cipher)
    await _verify(cipher, envelope)
    keys.clear()  # as a key pushed out of the cache: derived again, on probation
    await cipher.prepare(EncryptionKey.from_text(KEY))
    assert keys._probation
    assert not keys._confirmed
    await _verify(cipher, envelope)  # answered from what was opened, and confirmed all the same
    assert keys._confirmed
    assert not keys._probation


async def test_v2_envelopes_ask_the_backend_every_time() -> None:
    wrapper = InMemoryKeyWrapper()
    cipher = _cipher(wrapper=wrapper)
    envelope = await _seal(cipher)
    before = wrapper.calls
    await _verify(cipher, envelope)
    await _verify(cipher, envelope)
    assert wrapper.calls == before + 2
    key_ref = wrapper.newest
    assert key_ref is not None
    wrapper.forget(key_ref)
    with pytest.raises(KmsKeyMismatch):
        await _verify(cipher, envelope)


async def test_with_the_key_cache_off_nothing_is_remembered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cipher = _cipher(cache_size=0)
    envelope = await _seal(cipher)
    openings = _Openings(monkeypatch)
    await _verify(cipher, envelope)
    await _verify(cipher, envelope)
    assert openings.count == 2


def test_the_least_recently_seen_opening_is_forgotten_first() -> None:
    opened = OpenedEnvelopes(TTL, 2)
    key = b"k" * 16
    opened.record(key, "first", ADA, SCOPE)
    opened.record(key, "second", ADA, SCOPE)
    assert opened.opened(key, "first", ADA) == SCOPE  # now the most lately seen
    opened.record(key, "third", ADA, SCOPE)
    assert len(opened) == 2
    assert opened.opened(key, "second", ADA) is None
    assert opened.opened(key, "first", ADA) == SCOPE
    assert opened.opened(key, "third", ADA) == SCOPE


def test_size_zero_remembers_nothing_and_a_negative_size_is_refused() -> None:
    opened = OpenedEnvelopes(TTL, 0)
    opened.record(b"k" * 16, "envelope", ADA, SCOPE)
    assert len(opened) == 0
    assert opened.opened(b"k" * 16, "envelope", ADA) is None
    with pytest.raises(ValueError, match="at least 0"):
        OpenedEnvelopes(TTL, -1)


def test_fields_cannot_run_into_one_another() -> None:
    opened = OpenedEnvelopes(TTL, 4)
    opened.record(b"key-and", "envelope", ADA, SCOPE)
    assert opened.opened(b"key-", "andenvelope", ADA) is None
    assert opened.opened(b"key-and", "envelop", WalletBinding("eada", ADA.public_key)) is None
    assert opened.opened(b"key-and", "envelope", WalletBinding("ad", "a" + ADA.public_key)) is None
    assert opened.opened(b"key-and", "envelope", ADA) == SCOPE
    # Without the envelope's length first, "env1" + "3$ada" + key would read as "env" + "13$" +
    # a 13-character user id taking the public key's first 10 characters.
    opened.record(b"key-and", "env1", ADA, SCOPE)
    shifted = WalletBinding(ADA.user_id + ADA.public_key[:10], ADA.public_key[10:])
    assert opened.opened(b"key-and", "env", shifted) is None


def test_an_opening_is_forgotten_when_its_lifetime_is_over() -> None:
    now = [0.0]
    opened = OpenedEnvelopes(10.0, 4, clock=lambda: now[0])
    opened.record(b"k" * 16, "envelope", ADA, SCOPE)
    now[0] = 9.9
    assert opened.opened(b"k" * 16, "envelope", ADA) == SCOPE  # seen again: not extended
    now[0] = 10.0
    assert opened.opened(b"k" * 16, "envelope", ADA) is None
    assert len(opened) == 0
    opened.record(b"k" * 16, "envelope", ADA, SCOPE)  # opened for real again: remembered anew
    assert opened.opened(b"k" * 16, "envelope", ADA) == SCOPE
    nothing = OpenedEnvelopes(0, 4)
    nothing.record(b"k" * 16, "envelope", ADA, SCOPE)
    assert len(nothing) == 0


async def test_the_cipher_forgets_an_opening_when_the_key_cache_would_forget_its_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def salt() -> bytes:
        return SALT

    cipher = Argon2AeadCipher(FAST_KDF, StretchedKeyCache(4, 0.2), salt)
    envelope = await _seal(cipher)
    openings = _Openings(monkeypatch)
    await _verify(cipher, envelope)
    await _verify(cipher, envelope)
    assert openings.count == 1
    await asyncio.sleep(0.25)
    await _verify(cipher, envelope)
    assert openings.count == 2


def test_no_key_envelope_or_binding_is_kept_or_shown() -> None:
    opened = OpenedEnvelopes(TTL, 4)
    key = KEY.encode()
    envelope = "wo1$argon2id$m=64,t=1,p=1$an-envelope"
    opened.record(key, envelope, ADA, SCOPE)
    kept = repr(vars(opened)) + repr(opened)
    for secret in (KEY, envelope, ADA.user_id + ADA.public_key, key.hex()):
        assert secret not in kept
    assert repr(opened) == "OpenedEnvelopes(size=4, ttl=600.0, known=1)"


async def _outcome(
    cipher: Argon2AeadCipher, envelope: str, key: str, binding: WalletBinding
) -> str:
    try:
        await _verify(cipher, envelope, key, binding)
    except DomainError as error:
        return type(error).__name__
    return "opens"


ENVELOPES = st.sampled_from(["ada", "ada-again", "bob"])
KEYS = st.sampled_from([KEY, OTHER_KEY])
BINDINGS = st.sampled_from([ADA, BOB])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(ENVELOPES, KEYS, BINDINGS, st.integers(-1, 120)), min_size=1, max_size=12)
)
async def test_verify_always_answers_as_a_cipher_that_remembers_nothing(
    attempts: list[tuple[str, str, WalletBinding, int]],
) -> None:
    remembering, forgetful = _cipher(), _cipher(opened=OpenedEnvelopes(TTL, 0))
    sealed = {
        "ada": await _seal(remembering),
        "ada-again": await _seal(remembering, OTHER_KEY),
        "bob": await _seal(remembering, binding=BOB),
    }
    for name, key, binding, flip in attempts:
        envelope = sealed[name]
        if 0 <= flip < len(envelope):  # one character changed: a damaged envelope
            replaced = "A" if envelope[flip] != "A" else "B"
            envelope = envelope[:flip] + replaced + envelope[flip + 1 :]
        assert await _outcome(remembering, envelope, key, binding) == await _outcome(
            forgetful, envelope, key, binding
        )
