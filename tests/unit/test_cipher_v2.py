"""The cipher with a key-management backend (envelope v2), on the in-memory backend: two factors,
each needed; bindings; the backend's key rotation without caller keys; v1 still readable; three
failures told apart; nothing unwrapped kept; the KDF ceiling before any backend call."""

import dataclasses

import pytest
from stellar_sdk import Keypair

from adapters.crypto.cipher import Argon2AeadCipher
from adapters.crypto.envelope import Envelope, KdfParams
from adapters.crypto.envelope_v2 import EnvelopeV2, share_context
from adapters.crypto.key_cache import StretchedKeyCache
from adapters.kms.base import KeyWrapper
from adapters.kms.memory import InMemoryKeyWrapper
from domain.errors import EnvelopeTampered, KmsKeyMismatch, WalletKeyMismatch
from domain.model import WalletBinding
from domain.secrets import EncryptionKey, SecretSeed
from tests.support import FAST_KDF, KEY, OTHER_KEY

SALT = bytes(range(16))
SEED = bytes(range(32))
BINDING = WalletBinding("ada", Keypair.from_raw_ed25519_seed(SEED).public_key)


def _cipher(wrapper: KeyWrapper | None, ceiling: KdfParams | None = None) -> Argon2AeadCipher:
    async def salt() -> bytes:
        return SALT

    keys = StretchedKeyCache(4, 60.0)
    if ceiling is None:
        return Argon2AeadCipher(FAST_KDF, keys, salt, wrapper=wrapper)
    return Argon2AeadCipher(FAST_KDF, keys, salt, ceiling, wrapper=wrapper)


async def _seal(cipher: Argon2AeadCipher, key: str = KEY, binding: WalletBinding = BINDING) -> str:
    return await cipher.encrypt(SecretSeed(SEED), EncryptionKey.from_text(key), binding)


async def _open(
    cipher: Argon2AeadCipher, envelope: str, key: str = KEY, binding: WalletBinding = BINDING
) -> bytes:
    return bytes((await cipher.decrypt(envelope, EncryptionKey.from_text(key), binding)).reveal())


def _edit(envelope: str, **changes: object) -> str:
    """The envelope with fields replaced and its checksum recomputed (a deliberate editor)."""
    return dataclasses.replace(EnvelopeV2.parse(envelope), **changes).to_text()  # type: ignore[arg-type]


def _flip(value: bytes, index: int = 0) -> bytes:
    return value[:index] + bytes([value[index] ^ 1]) + value[index + 1 :]


async def test_with_a_backend_new_envelopes_are_v2_and_open() -> None:
    wrapper = InMemoryKeyWrapper()
    cipher = _cipher(wrapper)
    first, second = await _seal(cipher), await _seal(cipher)
    assert first.startswith("wo2$argon2id$m=64,t=1,p=1$AAECAwQFBgcICQoLDA0ODw$")
    parsed, other = EnvelopeV2.parse(first), EnvelopeV2.parse(second)
    assert parsed.share.backend == "memory"
    assert parsed.nonce != other.nonce
    assert parsed.share.wrapped != other.share.wrapped
    assert await _open(cipher, first) == SEED


async def test_the_right_caller_key_with_another_backend_key_is_a_kms_key_mismatch() -> None:
    envelope = await _seal(_cipher(InMemoryKeyWrapper()))
    with pytest.raises(KmsKeyMismatch):
        await _open(_cipher(InMemoryKeyWrapper()), envelope)


async def test_the_right_backend_with_a_wrong_caller_key_is_a_wallet_key_mismatch() -> None:
    cipher = _cipher(InMemoryKeyWrapper())
    envelope = await _seal(cipher)
    with pytest.raises(WalletKeyMismatch):
        await _open(cipher, envelope, OTHER_KEY)


@pytest.mark.parametrize(
    "binding", [WalletBinding("bob", BINDING.public_key), WalletBinding("ada", "G" + "B" * 55)]
)
async def test_an_envelope_moved_to_another_wallet_is_tampering(binding: WalletBinding) -> None:
    cipher = _cipher(InMemoryKeyWrapper())
    envelope = await _seal(cipher)
    with pytest.raises(EnvelopeTampered):
        await _open(cipher, envelope, binding=binding)


async def test_swapping_two_wallets_envelopes_is_tampering() -> None:
    cipher = _cipher(InMemoryKeyWrapper())
    bob = WalletBinding("bob", Keypair.random().public_key)
    ada_envelope, bob_envelope = await _seal(cipher), await _seal(cipher, binding=bob)
    with pytest.raises(EnvelopeTampered):
        await _open(cipher, bob_envelope, binding=BINDING)
    with pytest.raises(EnvelopeTampered):
        await _open(cipher, ada_envelope, binding=bob)


async def test_a_share_moved_from_another_wallet_is_tampering() -> None:
    """Both wallets' shares unwrap under this backend, but each only in its own binding."""
    cipher = _cipher(InMemoryKeyWrapper())
    bob = WalletBinding("bob", Keypair.random().public_key)
    ada_envelope, bob_envelope = await _seal(cipher), await _seal(cipher, binding=bob)
    grafted = _edit(ada_envelope, share=EnvelopeV2.parse(bob_envelope).share)
    with pytest.raises(EnvelopeTampered):
        await _open(cipher, grafted)


async def test_rotating_the_backend_key_needs_no_caller_key() -> None:
    wrapper = InMemoryKeyWrapper()
    cipher = _cipher(wrapper)
    envelope = await _seal(cipher)
    newest = await wrapper.rotate_key()
    rewrapper = _cipher(wrapper)  # a cache of its own: it has seen no caller key
    rewrapped = await rewrapper.rewrap(envelope, BINDING)
    assert rewrapped is not None
    stats = rewrapper._keys.stats
    assert (stats.derivations, stats.hits, len(rewrapper._keys)) == (0, 0, 0)
    before, after = EnvelopeV2.parse(envelope), EnvelopeV2.parse(rewrapped)
    assert after.share.key_ref == newest != before.share.key_ref
    assert after.share.wrapped != before.share.wrapped
    assert (after.params, after.salt, after.check) == (before.params, before.salt, before.check)
    assert (after.nonce, after.ciphertext) == (before.nonce, before.ciphertext)
    assert await _open(cipher, rewrapped) == SEED
    assert await cipher.rewrap(rewrapped, BINDING) is None


async def test_after_a_rewrap_the_old_key_version_can_go() -> None:
    wrapper = InMemoryKeyWrapper()
    cipher = _cipher(wrapper)
    envelope = await _seal(cipher)
    old = EnvelopeV2.parse(envelope).share.key_ref
    await wrapper.rotate_key()
    rewrapped = await cipher.rewrap(envelope, BINDING)
    assert rewrapped is not None
    wrapper.forget(old)
    assert await _open(cipher, rewrapped) == SEED
    with pytest.raises(KmsKeyMismatch):
        await _open(cipher, envelope)


async def test_a_rewrap_is_bound_to_the_wallet() -> None:
    wrapper = InMemoryKeyWrapper()
    cipher = _cipher(wrapper)
    envelope = await _seal(cipher)
    await wrapper.rotate_key()
    with pytest.raises(EnvelopeTampered):
        await cipher.rewrap(envelope, WalletBinding("bob", BINDING.public_key))


async def test_rewrap_leaves_v1_envelopes_alone() -> None:
    v1 = await _seal(_cipher(None))
    assert await _cipher(InMemoryKeyWrapper()).rewrap(v1, BINDING) is None
    assert await _cipher(None).rewrap(v1, BINDING) is None


async def test_rewrap_of_another_backend_keys_share_is_a_kms_key_mismatch() -> None:
    envelope = await _seal(_cipher(InMemoryKeyWrapper()))
    with pytest.raises(KmsKeyMismatch):
        await _cipher(InMemoryKeyWrapper()).rewrap(envelope, BINDING)
    with pytest.raises(KmsKeyMismatch):
        await _cipher(None).rewrap(envelope, BINDING)


async def test_rotating_the_caller_key() -> None:
    cipher = _cipher(InMemoryKeyWrapper())
    old = await _seal(cipher)
    with await cipher.decrypt(old, EncryptionKey.from_text(KEY), BINDING) as seed:
        new = await cipher.encrypt(seed, EncryptionKey.from_text(OTHER_KEY), BINDING)
    assert new.startswith("wo2$")
    assert await _open(cipher, new, OTHER_KEY) == SEED
    with pytest.raises(WalletKeyMismatch):
        await _open(cipher, new, KEY)


@pytest.mark.parametrize("backend", [None, InMemoryKeyWrapper], ids=["without", "with"])
async def test_v1_envelopes_open_whatever_the_backend(backend: type | None) -> None:
    wrapper = InMemoryKeyWrapper() if backend else None
    v1 = await _seal(_cipher(None))
    assert v1.startswith("wo1$")
    cipher = _cipher(wrapper)
    assert await _open(cipher, v1) == SEED
    with pytest.raises(WalletKeyMismatch):
        await _open(cipher, v1, OTHER_KEY)
    assert wrapper is None or wrapper.calls == 0


async def test_a_v2_envelope_without_a_backend_is_a_kms_key_mismatch() -> None:
    envelope = await _seal(_cipher(InMemoryKeyWrapper()))
    with pytest.raises(KmsKeyMismatch) as raised:
        await _open(_cipher(None), envelope)
    assert raised.value.backend == "memory"


async def test_wrong_backend_key_wrong_caller_key_and_tampering_are_three_errors() -> None:
    wrapper = InMemoryKeyWrapper()
    cipher = _cipher(wrapper)
    envelope = await _seal(cipher)
    parsed = EnvelopeV2.parse(envelope)
    with pytest.raises(KmsKeyMismatch):
        await _open(_cipher(InMemoryKeyWrapper()), envelope)
    with pytest.raises(WalletKeyMismatch):
        await _open(cipher, envelope, OTHER_KEY)
    damaged = [
        _edit(envelope, ciphertext=_flip(parsed.ciphertext)),
        _edit(envelope, ciphertext=_flip(parsed.ciphertext, 40)),  # the tag
        _edit(envelope, nonce=_flip(parsed.nonce)),
        _edit(envelope, check=_flip(parsed.check)),
        _edit(
            envelope, share=dataclasses.replace(parsed.share, wrapped=_flip(parsed.share.wrapped))
        ),
        _edit(envelope, share=dataclasses.replace(parsed.share, wrapped=parsed.share.wrapped[:-1])),
        envelope[:-1] + ("A" if envelope[-1] != "A" else "B"),  # the checksum itself
    ]
    for text in damaged:
        with pytest.raises(EnvelopeTampered):
            await _open(cipher, text)
    kinds = (KmsKeyMismatch, WalletKeyMismatch, EnvelopeTampered)
    assert not any(issubclass(a, b) for a in kinds for b in kinds if a is not b)


async def test_a_share_of_another_backend_is_a_kms_key_mismatch() -> None:
    cipher = _cipher(InMemoryKeyWrapper())
    parsed = EnvelopeV2.parse(await _seal(cipher))
    pkcs11 = parsed.with_share(dataclasses.replace(parsed.share, backend="pkcs11")).to_text()
    with pytest.raises(KmsKeyMismatch):
        await _open(cipher, pkcs11)


async def test_every_single_character_mutation_is_tampering_before_any_backend_call() -> None:
    wrapper = InMemoryKeyWrapper()
    cipher = _cipher(wrapper)
    envelope = await _seal(cipher)
    calls = wrapper.calls
    alphabet = "Aa0_-$=z"
    for index, original in enumerate(envelope):
        for replacement in (c for c in alphabet if c != original):
            with pytest.raises(EnvelopeTampered):
                await _open(cipher, envelope[:index] + replacement + envelope[index + 1 :])
    for index in range(len(envelope)):
        with pytest.raises(EnvelopeTampered):
            await _open(cipher, envelope[:index] + envelope[index + 1 :])
    assert wrapper.calls == calls


async def test_is_current_only_for_what_encrypt_writes_now() -> None:
    wrapper = InMemoryKeyWrapper()
    with_backend, without = _cipher(wrapper), _cipher(None)
    v1, v2 = await _seal(without), await _seal(with_backend)
    assert with_backend.is_current(v2)
    assert not with_backend.is_current(v1)
    assert without.is_current(v1)
    assert not without.is_current(v2)
    parsed = EnvelopeV2.parse(v2)
    pkcs11 = parsed.with_share(dataclasses.replace(parsed.share, backend="pkcs11")).to_text()
    assert not with_backend.is_current(pkcs11)
    assert not with_backend.is_current("")
    assert not with_backend.is_current("wo2$")
    assert not without.is_current("")
    await wrapper.rotate_key()  # an older key version is still the current kind: RewrapAll's job
    assert with_backend.is_current(v2)
    damaged = v2[:-1] + ("A" if v2[-1] != "A" else "B")  # its checksum no longer matches
    assert not with_backend.is_current(damaged)  # so `kms upgrade` opens it, and lists it
    assert not without.is_current(v1[:-1] + ("A" if v1[-1] != "A" else "B"))


async def test_one_backend_call_to_seal_and_one_to_open() -> None:
    wrapper = InMemoryKeyWrapper()
    cipher = _cipher(wrapper)
    envelope = await _seal(cipher)
    assert wrapper.calls == 1
    await _open(cipher, envelope)
    assert wrapper.calls == 2
    await _open(cipher, envelope)
    assert wrapper.calls == 3


async def test_nothing_unwrapped_is_kept() -> None:
    """Revoking the backend's key stops a wallet opening at once: no share is cached."""
    wrapper = InMemoryKeyWrapper()
    cipher = _cipher(wrapper)
    envelope = await _seal(cipher)
    assert await _open(cipher, envelope) == SEED
    wrapper.forget(EnvelopeV2.parse(envelope).share.key_ref)
    with pytest.raises(KmsKeyMismatch):
        await _open(cipher, envelope)
    with pytest.raises(KmsKeyMismatch):
        await _open(cipher, envelope)


@pytest.mark.parametrize(
    "params", [KdfParams(512 * 1024, 1), KdfParams(64, 9)], ids=["memory", "passes"]
)
async def test_a_cost_above_the_ceiling_is_tampering_without_a_backend_call(
    params: KdfParams,
) -> None:
    wrapper = InMemoryKeyWrapper()
    cipher = _cipher(wrapper, ceiling=KdfParams(256 * 1024, 8))
    envelope = _edit(await _seal(cipher), params=params)
    calls, derivations = wrapper.calls, cipher._keys.stats.derivations
    with pytest.raises(EnvelopeTampered):
        await _open(cipher, envelope)
    assert (wrapper.calls, cipher._keys.stats.derivations) == (calls, derivations)


async def test_a_v1_envelope_above_the_ceiling_is_tampering_too() -> None:
    cipher = _cipher(InMemoryKeyWrapper(), ceiling=KdfParams(1024, 2))
    parsed = Envelope.parse(await _seal(_cipher(None)))
    envelope = dataclasses.replace(parsed, params=KdfParams(2048, 1)).to_text()
    with pytest.raises(EnvelopeTampered):
        await _open(cipher, envelope)


@pytest.mark.parametrize("size", [1, 7])
async def test_a_truncated_wrapped_share_is_tampering(size: int) -> None:
    cipher = _cipher(InMemoryKeyWrapper())
    envelope = await _seal(cipher)
    share = EnvelopeV2.parse(envelope).share
    truncated = _edit(envelope, share=dataclasses.replace(share, wrapped=share.wrapped[:size]))
    with pytest.raises(EnvelopeTampered):
        await _open(cipher, truncated)


async def test_a_share_of_the_wrong_length_is_tampering() -> None:
    wrapper = InMemoryKeyWrapper()
    cipher = _cipher(wrapper)
    envelope = await _seal(cipher)
    share = EnvelopeV2.parse(envelope).share
    nonce = bytes(12)
    short = nonce + wrapper._keys[share.key_ref].encrypt(nonce, bytes(16), share_context(BINDING))
    with pytest.raises(EnvelopeTampered):
        await _open(cipher, _edit(envelope, share=dataclasses.replace(share, wrapped=short)))


@pytest.mark.parametrize("wrapper", [None, InMemoryKeyWrapper()], ids=["v1", "backend"])
async def test_a_key_is_ready_to_seal_only_once_stretched_and_without_a_backend(
    wrapper: KeyWrapper | None,
) -> None:
    cipher = _cipher(wrapper)
    key = EncryptionKey.from_text(KEY)
    assert await cipher.ready_to_seal(key) is None  # nothing derived to say so
    (await cipher.prepare(key)).wipe()
    ready = await cipher.ready_to_seal(key)
    if wrapper is not None:
        assert ready is None  # sealing would call the backend
        return
    assert ready is not None
    envelope = await cipher.encrypt(SecretSeed(SEED), ready, BINDING)
    assert await _open(cipher, envelope) == SEED
    assert await cipher.ready_to_seal(EncryptionKey.from_text(OTHER_KEY)) is None
