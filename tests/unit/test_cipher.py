"""Envelope v1 and the cipher: round trips, wrong key vs tampering, known-answer vectors checked
against this implementation and independent ones (argon2-cffi, PyCryptodome)."""

import asyncio
import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from argon2.low_level import Type, hash_secret_raw
from Crypto.Cipher import ChaCha20_Poly1305
from hypothesis import given, settings
from hypothesis import strategies as st
from stellar_sdk import Keypair

from adapters.crypto import envelope as envelope_module
from adapters.crypto.cipher import Argon2AeadCipher
from adapters.crypto.envelope import (
    Envelope,
    KdfParams,
    KeySchedule,
    WrongKey,
    associated_data,
    b64,
    open_sealed,
    seal,
    unb64,
    verified_fields,
    with_checksum,
)
from adapters.crypto.key_cache import StretchedKeyCache, stretch
from adapters.crypto.stellar_keys import StellarKeyGenerator
from domain.errors import EnvelopeTampered, WalletKeyMismatch
from domain.model import WalletBinding
from domain.secrets import EncryptionKey, SecretSeed
from tests.support import FAST_KDF, KEY, OTHER_KEY

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "vectors" / "envelope_v1.json").read_text()
)["vectors"]
SALT = bytes(range(16))
SEED = bytes(range(32))
BINDING = WalletBinding("ada", Keypair.from_raw_ed25519_seed(SEED).public_key)


def _cipher(kdf: KdfParams = FAST_KDF, cache_size: int = 4) -> Argon2AeadCipher:
    async def salt() -> bytes:
        return SALT

    return Argon2AeadCipher(kdf, StretchedKeyCache(cache_size, 60.0), salt)


CIPHER = _cipher()


async def _seal(key: str = KEY, binding: WalletBinding = BINDING) -> str:
    return await CIPHER.encrypt(SecretSeed(SEED), EncryptionKey.from_text(key), binding)


async def _open(envelope: str, key: str = KEY, binding: WalletBinding = BINDING) -> bytes:
    return bytes((await CIPHER.decrypt(envelope, EncryptionKey.from_text(key), binding)).reveal())


async def test_round_trip_and_fresh_nonce_each_time() -> None:
    first, second = await _seal(), await _seal()
    assert await _open(first) == SEED
    assert first != second
    assert Envelope.parse(first).nonce != Envelope.parse(second).nonce
    assert first.startswith("wo1$argon2id$m=64,t=1,p=1$AAECAwQFBgcICQoLDA0ODw$")


async def test_default_parameters_are_at_least_19_mib_and_2_passes() -> None:
    envelope = await _cipher(KdfParams(19 * 1024, 2)).encrypt(
        SecretSeed(SEED), EncryptionKey.from_text(KEY), BINDING
    )
    assert Envelope.parse(envelope).params == KdfParams(memory_kib=19 * 1024, iterations=2)


async def test_wrong_key_is_a_key_mismatch_not_tampering() -> None:
    with pytest.raises(WalletKeyMismatch):
        await _open(await _seal(), OTHER_KEY)


@pytest.mark.parametrize(
    "binding", [WalletBinding("bob", BINDING.public_key), WalletBinding("ada", "G" + "B" * 55)]
)
async def test_an_envelope_moved_to_another_wallet_is_tampering(binding: WalletBinding) -> None:
    with pytest.raises(EnvelopeTampered):
        await _open(await _seal(), binding=binding)


async def test_swapping_two_wallets_envelopes_is_tampering() -> None:
    bob = WalletBinding("bob", Keypair.random().public_key)
    ada_envelope, bob_envelope = await _seal(), await _seal(binding=bob)
    with pytest.raises(EnvelopeTampered):
        await _open(bob_envelope, binding=BINDING)
    with pytest.raises(EnvelopeTampered):
        await _open(ada_envelope, binding=bob)


async def test_every_single_character_mutation_is_tampering() -> None:
    envelope = await _seal()
    alphabet = "Aa0_-$=z"
    for index, original in enumerate(envelope):
        for replacement in (c for c in alphabet if c != original):
            mutated = envelope[:index] + replacement + envelope[index + 1 :]
            with pytest.raises(EnvelopeTampered):
                await _open(mutated)
    for index in range(len(envelope)):
        with pytest.raises(EnvelopeTampered):
            await _open(envelope[:index] + envelope[index + 1 :])


async def test_an_altered_key_check_with_a_fixed_up_checksum_is_still_tampering() -> None:
    parsed = Envelope.parse(await _seal())
    altered = Envelope(parsed.params, parsed.salt, bytes(8), parsed.nonce, parsed.ciphertext)
    with pytest.raises(EnvelopeTampered):
        await _open(altered.to_text())


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_the_parser_raises_only_the_domain_error(text: str) -> None:
    try:
        Envelope.parse(text)
    except EnvelopeTampered:
        return


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=1, max_size=64))
def test_a_field_decodes_to_the_bytes_encoded_and_only_at_their_size(value: bytes) -> None:
    assert unb64(b64(value), len(value)) == value
    assert unb64(b64(value), None) == value
    with pytest.raises(EnvelopeTampered):
        unb64(b64(value), len(value) + 1)


BASE64URL = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= \n!é")


@settings(max_examples=1000, deadline=None)
@given(BASE64URL)
def test_only_canonical_base64url_fields_decode(text: str) -> None:
    """Whatever decodes is the one encoding of its bytes (no padding, no other alphabet, no bits
    past the last byte), and agrees with the standard library's decoder.
    """
    try:
        decoded = unb64(text, None)
    except EnvelopeTampered:
        return
    assert b64(decoded) == text
    assert base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)) == decoded


@pytest.mark.parametrize(
    "field", ["AB", "AAB", "AA==", "AAA=", "A", "", "AA+A", "AA/A", "AAéA", "AA A", "AA\nA"]
)
def test_a_field_that_is_not_canonical_base64url_is_tampering(field: str) -> None:
    with pytest.raises(EnvelopeTampered):
        unb64(field, None)


@pytest.mark.parametrize("params", ["m=8,t=1,p=1", "m=19456,t=2,p=1"])
def test_parameters_read_the_same_each_time(params: str) -> None:
    text = with_checksum("wo1", KdfParams(8, 1), "x").replace("m=8,t=1,p=1", params)
    body = text.rpartition("$")[0]
    text = f"{body}${b64(hashlib.sha256(body.encode()).digest()[:8])}"
    first, second = verified_fields(text, "wo1", 1), verified_fields(text, "wo1", 1)
    assert first == second
    assert first[0].to_text() == params


@pytest.mark.parametrize("params", ["m=8,t=1,p=2", "m=7,t=1,p=1", "m=08,t=1,p=1", "m=8,t=65,p=1"])
def test_bad_parameters_are_tampering_every_time(params: str) -> None:
    body = f"wo1$argon2id${params}$x"
    text = f"{body}${b64(hashlib.sha256(body.encode()).digest()[:8])}"
    for _ in range(2):
        with pytest.raises(EnvelopeTampered):
            verified_fields(text, "wo1", 1)


UNICODE = st.characters(exclude_categories=["Cs"])


@settings(max_examples=25, deadline=None)
@given(
    key=st.text(UNICODE, min_size=16, max_size=1024),
    user_id=st.text(UNICODE, min_size=1, max_size=128),
)
async def test_round_trip_for_any_key_and_user(key: str, user_id: str) -> None:
    encryption_key = EncryptionKey.from_text(key)
    binding = WalletBinding(user_id, BINDING.public_key)
    envelope = await CIPHER.encrypt(SecretSeed(SEED), encryption_key, binding)
    assert bytes((await CIPHER.decrypt(envelope, encryption_key, binding)).reveal()) == SEED


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["description"])
def test_known_answer_vectors(vector: dict[str, Any]) -> None:
    params = KdfParams(vector["memoryKib"], vector["iterations"])
    seed, salt, nonce = (bytes.fromhex(vector[name]) for name in ("seedHex", "saltHex", "nonceHex"))
    binding = WalletBinding(vector["userId"], vector["publicKey"])
    stretched = stretch(vector["encryptionKey"].encode(), salt, params)
    assert stretched.hex() == vector["stretchedKeyHex"]
    assert Keypair.from_raw_ed25519_seed(seed).public_key == vector["publicKey"]
    schedule = KeySchedule.of(stretched)
    sealed = seal(seed, schedule, binding, params=params, salt=salt, nonce=nonce)
    assert sealed.to_text() == vector["envelope"]
    assert open_sealed(Envelope.parse(vector["envelope"]), schedule, binding) == seed
    with pytest.raises(WrongKey):
        open_sealed(Envelope.parse(vector["envelope"]), KeySchedule.of(bytes(32)), binding)


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["description"])
def test_vectors_open_with_independent_implementations(vector: dict[str, Any]) -> None:
    """argon2-cffi (reference Argon2) and PyCryptodome (XChaCha20-Poly1305) read the same bytes
    as docs/envelope.md describes them, without any of our code but the text layout."""
    parsed = Envelope.parse(vector["envelope"])
    stretched = hash_secret_raw(
        vector["encryptionKey"].encode(),
        parsed.salt,
        time_cost=parsed.params.iterations,
        memory_cost=parsed.params.memory_kib,
        parallelism=1,
        hash_len=32,
        type=Type.ID,
    )
    assert stretched.hex() == vector["stretchedKeyHex"]
    aead_key = hmac.new(stretched, b"wallet-orchestrator wo1 aead key\x01", hashlib.sha256).digest()
    check = hmac.new(stretched, b"wallet-orchestrator wo1 key check\x01", hashlib.sha256).digest()
    assert parsed.check == check[:8]
    aead = ChaCha20_Poly1305.new(key=aead_key, nonce=parsed.nonce)
    aead.update(associated_data(WalletBinding(vector["userId"], vector["publicKey"])))
    seed = aead.decrypt_and_verify(parsed.ciphertext[:32], parsed.ciphertext[32:])
    assert seed.hex() == vector["seedHex"]


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=32, max_size=32))
def test_a_key_schedule_holds_the_stretched_key_and_its_hkdf_expansions(stretched: bytes) -> None:
    def expanded(label: str) -> bytes:
        info = f"wallet-orchestrator {label}".encode() + b"\x01"
        return hmac.new(stretched, info, "sha256").digest()

    schedule = KeySchedule.of(stretched)
    assert schedule.stretched == stretched
    assert schedule.aead_v1 == expanded("wo1 aead key")
    assert schedule.check_v1 == expanded("wo1 key check")[:8]
    assert schedule.check_v2 == expanded("wo2 key check")[:8]
    assert KeySchedule(schedule.material).material == schedule.material
    assert repr(schedule) == "KeySchedule(<redacted>)"
    with pytest.raises(ValueError, match="wrong length"):
        KeySchedule(stretched)


async def test_a_key_from_the_cache_seals_and_opens_without_deriving_a_subkey(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cipher = _cipher()
    key = await cipher.prepare(EncryptionKey.from_text(KEY))
    expansions: list[bytes] = []
    real_expand = envelope_module.expand

    def counted(stretched_key: bytes, info: bytes) -> bytes:
        expansions.append(info)
        return real_expand(stretched_key, info)

    monkeypatch.setattr(envelope_module, "expand", counted)
    sealed = await cipher.encrypt(SecretSeed(SEED), key, BINDING)
    assert bytes((await cipher.decrypt(sealed, key, BINDING)).reveal()) == SEED
    assert bytes((await cipher.decrypt(sealed, EncryptionKey.from_text(KEY), BINDING)).reveal())
    assert expansions == []
    await cipher.prepare(EncryptionKey.from_text(OTHER_KEY))  # a new key: derived once
    assert len(expansions) == 3


async def test_warm_cache_derives_nothing_and_cold_derives_once() -> None:
    cache = StretchedKeyCache(size=4, ttl_seconds=60.0)
    key = EncryptionKey.from_text(KEY)
    results = await _gather(cache, key, copies=10)
    assert cache.stats.derivations == 1
    assert len(set(results)) == 1
    await cache.stretched(key, SALT, FAST_KDF)
    assert (cache.stats.derivations, cache.stats.hits) == (1, 1)


async def test_cache_bounds_expiry_and_off_switch() -> None:
    now = [0.0]
    cache = StretchedKeyCache(size=2, ttl_seconds=10.0, clock=lambda: now[0])
    keys = [EncryptionKey.from_text(f"{n}-key-0123456789abcdef") for n in range(3)]
    for key in keys:
        await cache.stretched(key, SALT, FAST_KDF)
    assert len(cache) == 2
    await cache.stretched(keys[0], SALT, FAST_KDF)
    assert cache.stats.derivations == 4
    now[0] = 11.0
    await cache.stretched(keys[0], SALT, FAST_KDF)
    assert cache.stats.derivations == 5
    off = StretchedKeyCache(size=0, ttl_seconds=10.0)
    await off.stretched(keys[0], SALT, FAST_KDF)
    await off.stretched(keys[0], SALT, FAST_KDF)
    assert (off.stats.derivations, len(off)) == (2, 0)


async def test_the_cache_keeps_no_raw_key() -> None:
    cache = StretchedKeyCache(size=4, ttl_seconds=60.0)
    await cache.stretched(EncryptionKey.from_text(KEY), SALT, FAST_KDF)
    [(key_digest, salt, params)] = list(cache._probation)
    assert KEY.encode() not in key_digest
    assert key_digest != hashlib.sha256(KEY.encode()).digest()
    assert (salt, params) == (SALT, FAST_KDF)
    assert "redacted" in repr(cache._probation)
    assert KEY not in repr(cache)


async def _gather(cache: StretchedKeyCache, key: EncryptionKey, copies: int) -> list[bytes]:
    return list(
        await asyncio.gather(*(cache.stretched(key, SALT, FAST_KDF) for _ in range(copies)))
    )


def test_generated_keypair_seed_matches_its_public_key() -> None:
    generator = StellarKeyGenerator()
    keypair = generator.generate()
    assert generator.public_key_of(keypair.seed) == keypair.public_key
    assert len(keypair.seed) == 32
    assert generator.generate().public_key != keypair.public_key


@given(st.binary(min_size=32, max_size=32))
@settings(max_examples=200)
def test_public_keys_agree_with_stellar_sdk(seed: bytes) -> None:
    derived = StellarKeyGenerator().public_key_of(SecretSeed(seed))
    assert derived == Keypair.from_raw_ed25519_seed(seed).public_key


def test_generated_keypairs_agree_with_stellar_sdk() -> None:
    for _ in range(50):
        keypair = StellarKeyGenerator().generate()
        expected = Keypair.from_raw_ed25519_seed(bytes(keypair.seed.reveal())).public_key
        assert keypair.public_key == expected


def test_the_specification_shows_a_real_vector() -> None:
    spec = (Path(__file__).parents[2] / "docs" / "envelope.md").read_text()
    assert VECTORS[0]["envelope"] in spec
