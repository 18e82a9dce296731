"""A bounded, expiring, single-flight cache of Argon2id-stretched keys (with their key
schedules), and the bound on how many derivations run at once in this process.
"""

import asyncio
import hashlib
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from nacl.pwhash import argon2id

from adapters.crypto.envelope import STRETCHED_KEY_BYTES, KdfParams, KeySchedule
from domain.errors import KeyDerivationBusy
from domain.secrets import EncryptionKey, Secret

CacheKey = tuple[bytes, bytes, KdfParams]
Clock = Callable[[], float]
LookupListener = Callable[[str], None]
"""Told "hit", "shared" (waited for another caller's derivation) or "derived" on every lookup."""
WaitingListener = Callable[[int], None]
"""Told how many derivations wait for a slot, each time that number changes."""
WaitListener = Callable[[float], None]
"""Told how many seconds each derivation waited for its slot."""

DEFAULT_CONCURRENCY = os.cpu_count() or 1
"""Derivations at once, by default: one per CPU (Argon2id here uses one lane, one core)."""


def _ignore(_: object) -> None:
    return None


def stretch(password: bytes, salt: bytes, params: KdfParams) -> bytes:
    """Argon2id (libsodium, one lane) of the caller's key: the slow, memory-hard step."""
    derived: bytes = argon2id.kdf(
        STRETCHED_KEY_BYTES,
        password,
        salt,
        opslimit=params.iterations,
        memlimit=params.memory_kib * 1024,
    )
    return derived


def stretch_scheduled(password: bytes, salt: bytes, params: KdfParams) -> bytes:
    """The caller's key stretched, with its key schedule: KeySchedule material."""
    return KeySchedule.of(stretch(password, salt, params)).material


@dataclass
class KeyCacheStats:
    """What the cache has done since the process started (for tests, benchmarks and metrics)."""

    derivations: int = 0
    hits: int = 0
    shared: int = 0
    busy: int = 0


class StretchedKeyCache:
    """Stretched keys by (MAC of the caller's key under a random per-process key, salt, params),
    each with its key schedule: what it hands out is KeySchedule material.

    The raw caller key is never kept: only its MAC (keyed BLAKE2s: a third of HMAC-SHA256's
    time), which is useless outside this process. At most
    `size` entries, each for at most `ttl_seconds`; either being 0 turns caching off. Concurrent
    misses for the same entry wait for one derivation. Argon2id runs in a worker thread.

    A new entry is on probation until `confirm` says its key opened something. When the cache is
    full, the least recently used entry on probation goes first (never the one just added), a
    confirmed one only when no other is on probation: keys that open nothing (wrong keys,
    guesses) push each other out, not the keys that work, and a run of them costs at most one
    confirmed entry, the least recently used.

    At most `concurrency` derivations run at once; the others wait for a slot, each at most
    `slot_timeout` seconds (None: no limit), then raise KeyDerivationBusy. Memory spent on
    stretching is then at most `concurrency` times the largest cost derived.
    """

    def __init__(  # noqa: PLR0913 - bounds, clock and the metrics' listeners, all by name
        self,
        size: int,
        ttl_seconds: float,
        clock: Clock = time.monotonic,
        on_lookup: LookupListener = _ignore,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        slot_timeout: float | None = None,
        on_waiting: WaitingListener = _ignore,
        on_wait: WaitListener = _ignore,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._size = size
        self._on_lookup = on_lookup
        self._ttl = ttl_seconds
        self._clock = clock
        self._process_key = os.urandom(32)
        self._confirmed: OrderedDict[CacheKey, tuple[float, Secret]] = OrderedDict()
        self._probation: OrderedDict[CacheKey, tuple[float, Secret]] = OrderedDict()
        self._in_flight: dict[CacheKey, asyncio.Future[bytes]] = {}
        self._slots = asyncio.Semaphore(concurrency)
        self._slot_timeout = slot_timeout
        self._waiting = 0
        self._on_waiting = on_waiting
        self._on_wait = on_wait
        self.stats = KeyCacheStats()

    @property
    def enabled(self) -> bool:
        return self._size > 0 and self._ttl > 0

    @property
    def ttl_seconds(self) -> float:
        """How long an entry stays after its derivation."""
        return self._ttl

    async def stretched(self, key: EncryptionKey, salt: bytes, params: KdfParams) -> bytes:
        """The Argon2id output for this key, salt and params with its key schedule (KeySchedule
        material): from the cache, or derived once.
        KeyDerivationBusy when no derivation slot frees up within `slot_timeout`.
        """
        password = bytes(key.reveal())
        if not self.enabled:
            return await self._shielded(self._derive(password, salt, params))
        cache_key = self._cache_key(password, salt, params)
        cached = self._hit(cache_key)
        if cached is not None:
            return cached
        pending = self._in_flight.get(cache_key)
        if pending is None:
            pending = asyncio.ensure_future(self._derive_and_keep(cache_key, password))
            self._in_flight[cache_key] = pending
            pending.add_done_callback(lambda _: self._in_flight.pop(cache_key, None))
        else:
            self.stats.shared += 1
            self._on_lookup("shared")
        return await asyncio.shield(pending)

    def cached(self, key: EncryptionKey, salt: bytes, params: KdfParams) -> bytes | None:
        """The stretched key if the cache holds it, fresh (a hit, as `stretched` counts one);
        else None, and nothing is derived.
        """
        if not self.enabled:
            return None
        return self._hit(self._cache_key(bytes(key.reveal()), salt, params))

    def confirm(self, key: EncryptionKey, salt: bytes, params: KdfParams) -> None:
        """The key opened something under this salt and params: its entry (if cached) leaves
        probation.
        """
        if not self._probation:
            return
        cache_key = self._cache_key(bytes(key.reveal()), salt, params)
        entry = self._probation.pop(cache_key, None)
        if entry is not None:
            self._confirmed[cache_key] = entry

    def clear(self) -> None:
        """Forget (and wipe) every cached key."""
        for entries in (self._confirmed, self._probation):
            for _, secret in entries.values():
                secret.wipe()
            entries.clear()

    def __len__(self) -> int:
        return len(self._confirmed) + len(self._probation)

    def __repr__(self) -> str:
        return f"StretchedKeyCache(size={self._size}, ttl={self._ttl}, entries={len(self)})"

    def _cache_key(self, password: bytes, salt: bytes, params: KdfParams) -> CacheKey:
        return (hashlib.blake2s(password, key=self._process_key).digest(), salt, params)

    def _hit(self, cache_key: CacheKey) -> bytes | None:
        """The fresh entry, counted as a hit; None (not counted) when there is none."""
        cached = self._fresh(cache_key)
        if cached is not None:
            self.stats.hits += 1
            self._on_lookup("hit")
        return cached

    def _fresh(self, cache_key: CacheKey) -> bytes | None:
        entries = self._confirmed if cache_key in self._confirmed else self._probation
        entry = entries.get(cache_key)
        if entry is None:
            return None
        expires_at, secret = entry
        if self._clock() >= expires_at:
            del entries[cache_key]
            secret.wipe()
            return None
        entries.move_to_end(cache_key)
        return bytes(secret.reveal())

    async def _derive_and_keep(self, cache_key: CacheKey, password: bytes) -> bytes:
        _, salt, params = cache_key
        derived = await self._derive(password, salt, params)
        self._probation[cache_key] = (self._clock() + self._ttl, Secret(derived))
        while len(self) > self._size:
            self._evict_one()
        return derived

    def _evict_one(self) -> None:
        """The oldest entry on probation but the newest; else the least recently used confirmed
        one; else the newest itself (a cache of size 1 holding it alone).
        """
        if len(self._probation) > 1 or (self._probation and not self._confirmed):
            _, (_, evicted) = self._probation.popitem(last=False)
        else:
            _, (_, evicted) = self._confirmed.popitem(last=False)
        evicted.wipe()

    async def _shielded(self, derivation: Coroutine[Any, Any, bytes]) -> bytes:
        # Shielded: a caller that gives up does not cancel a derivation holding a slot, so the
        # slot is released only when its worker thread is done with the memory.
        return await asyncio.shield(asyncio.ensure_future(derivation))

    async def _derive(self, password: bytes, salt: bytes, params: KdfParams) -> bytes:
        await self._take_slot()
        try:
            self.stats.derivations += 1
            self._on_lookup("derived")
            return await asyncio.to_thread(stretch_scheduled, password, salt, params)
        finally:
            self._slots.release()

    async def _take_slot(self) -> None:
        if not self._slots.locked():
            await self._slots.acquire()  # a free slot: no wait
            self._on_wait(0.0)
            return
        started = time.perf_counter()
        self._count_waiting(+1)
        try:
            async with asyncio.timeout(self._slot_timeout):
                await self._slots.acquire()
        except TimeoutError:
            self.stats.busy += 1
            raise KeyDerivationBusy from None
        finally:
            self._count_waiting(-1)
            self._on_wait(time.perf_counter() - started)

    def _count_waiting(self, change: int) -> None:
        self._waiting += change
        self._on_waiting(self._waiting)
