"""Key derivation cannot be turned against the service: the ceiling on what an envelope may ask,
the bound on derivations at once, prepared keys, and a cache that keeps the keys that work."""

import asyncio
import os
import threading
import time

import pytest
from stellar_sdk import Keypair

from adapters.crypto import key_cache
from adapters.crypto.cipher import DEFAULT_KDF_CEILING, Argon2AeadCipher
from adapters.crypto.envelope import Envelope, KdfParams, KeySchedule
from adapters.crypto.key_cache import StretchedKeyCache
from domain.errors import EnvelopeTampered, KeyDerivationBusy, WalletKeyMismatch
from domain.model import WalletBinding
from domain.secrets import EncryptionKey, SecretSeed
from entrypoints.settings import Settings, SettingsError
from tests.support import FAST_KDF, KEY

SALT = bytes(range(16))
SEED = bytes(range(32))
BINDING = WalletBinding("ada", Keypair.from_raw_ed25519_seed(SEED).public_key)


async def _salt() -> bytes:
    return SALT


def _key(n: int) -> EncryptionKey:
    return EncryptionKey.from_text(f"caller key number {n:04d}")


def _cipher(cache: StretchedKeyCache, kdf: KdfParams = FAST_KDF) -> Argon2AeadCipher:
    return Argon2AeadCipher(kdf, cache, _salt)


async def _sealed(cipher: Argon2AeadCipher, key: EncryptionKey) -> str:
    envelope = await cipher.encrypt(SecretSeed(SEED), key, BINDING)
    (await cipher.decrypt(envelope, key, BINDING)).wipe()  # the self-check every seal gets
    return envelope


@pytest.mark.parametrize(
    "params",
    [
        KdfParams(DEFAULT_KDF_CEILING.memory_kib + 1, 1),
        KdfParams(64, DEFAULT_KDF_CEILING.iterations + 1),
        KdfParams(4 * 1024 * 1024, 64),  # the most the format allows
    ],
    ids=["memory", "passes", "format-limit"],
)
async def test_an_envelope_above_the_ceiling_is_tampering_and_never_derived(
    params: KdfParams,
) -> None:
    cache = StretchedKeyCache(size=4, ttl_seconds=60.0)
    parsed = Envelope.parse(await _sealed(_cipher(cache), _key(0)))
    raised = Envelope(params, parsed.salt, parsed.check, parsed.nonce, parsed.ciphertext)
    derived = cache.stats.derivations
    started = time.perf_counter()
    with pytest.raises(EnvelopeTampered, match="ceiling"):
        await _cipher(cache).decrypt(raised.to_text(), _key(0), BINDING)
    assert time.perf_counter() - started < 0.05
    assert cache.stats.derivations == derived


def test_a_cipher_refuses_a_cost_for_new_envelopes_above_its_ceiling() -> None:
    cache = StretchedKeyCache(size=4, ttl_seconds=60.0)
    with pytest.raises(ValueError, match="ceiling"):
        Argon2AeadCipher(KdfParams(1024, 2), cache, _salt, ceiling=KdfParams(512, 8))


def test_the_ceiling_and_concurrency_settings_and_their_defaults() -> None:
    defaults = Settings.from_env({})
    assert defaults.kdf_ceiling == KdfParams(memory_kib=262144, iterations=8)
    assert defaults.kdf_concurrency == os.cpu_count()
    configured = Settings.from_env(
        {
            "WALLET_KDF_MEMORY_KIB": "65536",
            "WALLET_KDF_ITERATIONS": "3",
            "WALLET_KDF_MAX_MEMORY_KIB": "65536",
            "WALLET_KDF_MAX_ITERATIONS": "3",
            "WALLET_KDF_CONCURRENCY": "3",
        }
    )
    assert (configured.kdf, configured.kdf_ceiling) == (KdfParams(65536, 3), KdfParams(65536, 3))
    assert configured.kdf_concurrency == 3


@pytest.mark.parametrize(
    ("environ", "names"),
    [
        ({"WALLET_KDF_MEMORY_KIB": "300000"}, "WALLET_KDF_MAX_MEMORY_KIB"),
        ({"WALLET_KDF_MAX_ITERATIONS": "1"}, "WALLET_KDF_ITERATIONS"),
        ({"WALLET_KDF_MAX_MEMORY_KIB": "9000000"}, "WALLET_KDF_MAX_MEMORY_KIB"),
        ({"WALLET_KDF_MAX_ITERATIONS": "many"}, "WALLET_KDF_MAX_ITERATIONS"),
        ({"WALLET_KDF_CONCURRENCY": "0"}, "WALLET_KDF_CONCURRENCY"),
    ],
)
def test_start_up_refuses_a_ceiling_below_the_cost_or_a_bad_value(
    environ: dict[str, str], names: str
) -> None:
    with pytest.raises(SettingsError, match=names):
        Settings.from_env(environ)


class _SlowStretch:
    """Stands in for Argon2id: takes `seconds` in its worker thread and counts how many run at
    once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.running = self.most = 0
        self._lock = threading.Lock()

    def __call__(self, password: bytes, salt: bytes, params: KdfParams) -> bytes:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(self.seconds)
        with self._lock:
            self.running -= 1
        return password[:16].ljust(32, b"\0")


@pytest.fixture
def slow_stretch(monkeypatch: pytest.MonkeyPatch) -> _SlowStretch:
    slow = _SlowStretch(0.05)
    monkeypatch.setattr(key_cache, "stretch", slow)
    return slow


@pytest.mark.parametrize("size", [0, 16], ids=["cache-off", "cache-on"])
async def test_at_most_concurrency_derivations_run_at_once_the_rest_wait(
    slow_stretch: _SlowStretch, size: int
) -> None:
    waiting: list[int] = []
    waits: list[float] = []
    cache = StretchedKeyCache(
        size, 60.0, concurrency=2, on_waiting=waiting.append, on_wait=waits.append
    )
    await asyncio.gather(*(cache.stretched(_key(n), SALT, FAST_KDF) for n in range(6)))
    assert slow_stretch.most == 2
    assert cache.stats.derivations == 6
    assert max(waiting) == 4
    assert waiting[-1] == 0
    assert len(waits) == 6
    assert max(waits) >= 2 * slow_stretch.seconds * 0.9


async def test_past_the_slot_deadline_a_derivation_is_busy(slow_stretch: _SlowStretch) -> None:
    slow_stretch.seconds = 0.5
    cache = StretchedKeyCache(16, 60.0, concurrency=1, slot_timeout=0.05)
    first = asyncio.ensure_future(cache.stretched(_key(1), SALT, FAST_KDF))
    await asyncio.sleep(0.01)
    started = time.perf_counter()
    with pytest.raises(KeyDerivationBusy):
        await cache.stretched(_key(2), SALT, FAST_KDF)
    assert time.perf_counter() - started < 0.3
    assert len(await first) == KeySchedule.SIZE
    assert (cache.stats.derivations, cache.stats.busy) == (1, 1)
    derived = await cache.stretched(_key(2), SALT, FAST_KDF)  # free again: it derives
    assert len(derived) == KeySchedule.SIZE


async def test_a_caller_that_gives_up_keeps_its_slot_until_its_thread_is_done(
    slow_stretch: _SlowStretch,
) -> None:
    slow_stretch.seconds = 0.1
    cache = StretchedKeyCache(0, 60.0, concurrency=1)
    abandoned = asyncio.ensure_future(cache.stretched(_key(1), SALT, FAST_KDF))
    await asyncio.sleep(0.02)
    abandoned.cancel()
    await cache.stretched(_key(2), SALT, FAST_KDF)
    assert slow_stretch.most == 1


async def test_wrong_keys_do_not_evict_a_key_that_works() -> None:
    cache = StretchedKeyCache(size=4, ttl_seconds=60.0)
    cipher = _cipher(cache)
    envelope = await _sealed(cipher, _key(0))
    for n in range(1, 4 * 4):
        with pytest.raises(WalletKeyMismatch):
            await cipher.decrypt(envelope, _key(n), BINDING)
    derived = cache.stats.derivations
    (await cipher.decrypt(envelope, _key(0), BINDING)).wipe()
    assert cache.stats.derivations == derived


async def test_a_run_of_unconfirmed_keys_costs_at_most_one_confirmed_entry() -> None:
    cache = StretchedKeyCache(size=3, ttl_seconds=60.0)
    working = [_key(n) for n in range(3)]
    for key in working:
        await cache.stretched(key, SALT, FAST_KDF)
        cache.confirm(key, SALT, FAST_KDF)
    for n in range(10, 30):
        await cache.stretched(_key(n), SALT, FAST_KDF)
    derived = cache.stats.derivations
    for key in working:
        await cache.stretched(key, SALT, FAST_KDF)
    assert cache.stats.derivations == derived + 1  # the least recently used one only
    assert len(cache) == 3


async def test_a_prepared_key_seals_and_opens_without_a_lookup_and_is_wiped() -> None:
    cache = StretchedKeyCache(size=4, ttl_seconds=60.0)
    cipher = _cipher(cache)
    with EncryptionKey.from_text(KEY) as key, await cipher.prepare(key) as prepared:
        assert KEY not in repr(prepared)
        assert bytes(prepared.reveal()) == KEY.encode()
        lookups = (cache.stats.hits, cache.stats.derivations)
        envelope = await cipher.encrypt(SecretSeed(SEED), prepared, BINDING)
        with await cipher.decrypt(envelope, prepared, BINDING) as seed:
            assert bytes(seed.reveal()) == SEED
        assert (cache.stats.hits, cache.stats.derivations) == lookups
        material = prepared.material
    assert (len(prepared), len(material)) == (0, 0)


async def test_a_prepared_key_still_opens_an_envelope_of_an_older_cost() -> None:
    sealer = _cipher(StretchedKeyCache(size=4, ttl_seconds=60.0), KdfParams(32, 1))
    older = await sealer.encrypt(SecretSeed(SEED), _key(0), BINDING)
    cache = StretchedKeyCache(size=4, ttl_seconds=60.0)
    cipher = _cipher(cache)
    with await cipher.prepare(_key(0)) as prepared:
        derived = cache.stats.derivations
        with await cipher.decrypt(older, prepared, BINDING) as seed:
            assert bytes(seed.reveal()) == SEED
    assert cache.stats.derivations == derived + 1
