"""A bounded, expiring, single-flight cache of Argon2id-stretched keys."""

import asyncio
import hmac
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from nacl.pwhash import argon2id

from adapters.crypto.envelope import STRETCHED_KEY_BYTES, KdfParams
from domain.secrets import EncryptionKey, Secret

CacheKey = tuple[bytes, bytes, KdfParams]
Clock = Callable[[], float]
LookupListener = Callable[[str], None]
"""Told "hit", "shared" (waited for another caller's derivation) or "derived" on every lookup."""


def _ignore(_: str) -> None:
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


@dataclass
class KeyCacheStats:
    """What the cache has done since the process started (for tests, benchmarks and metrics)."""

    derivations: int = 0
    hits: int = 0
    shared: int = 0


class StretchedKeyCache:
    """Stretched keys by (HMAC of the caller's key under a random per-process key, salt, params).

    The raw caller key is never kept: only its HMAC, which is useless outside this process. At most
    `size` entries, each for at most `ttl_seconds`; either being 0 turns caching off. Concurrent
    misses for the same entry wait for one derivation. Argon2id runs in a worker thread.
    """

    def __init__(
        self,
        size: int,
        ttl_seconds: float,
        clock: Clock = time.monotonic,
        on_lookup: LookupListener = _ignore,
    ) -> None:
        self._size = size
        self._on_lookup = on_lookup
        self._ttl = ttl_seconds
        self._clock = clock
        self._process_key = os.urandom(32)
        self._entries: OrderedDict[CacheKey, tuple[float, Secret]] = OrderedDict()
        self._in_flight: dict[CacheKey, asyncio.Future[bytes]] = {}
        self.stats = KeyCacheStats()

    @property
    def enabled(self) -> bool:
        return self._size > 0 and self._ttl > 0

    async def stretched(self, key: EncryptionKey, salt: bytes, params: KdfParams) -> bytes:
        """The Argon2id output for this key, salt and params: from the cache, or derived once."""
        password = bytes(key.reveal())
        if not self.enabled:
            return await self._derive(password, salt, params)
        cache_key = (hmac.digest(self._process_key, password, "sha256"), salt, params)
        cached = self._fresh(cache_key)
        if cached is not None:
            self.stats.hits += 1
            self._on_lookup("hit")
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

    def clear(self) -> None:
        """Forget (and wipe) every cached key."""
        for _, secret in self._entries.values():
            secret.wipe()
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"StretchedKeyCache(size={self._size}, ttl={self._ttl}, entries={len(self)})"

    def _fresh(self, cache_key: CacheKey) -> bytes | None:
        entry = self._entries.get(cache_key)
        if entry is None:
            return None
        expires_at, secret = entry
        if self._clock() >= expires_at:
            del self._entries[cache_key]
            secret.wipe()
            return None
        self._entries.move_to_end(cache_key)
        return bytes(secret.reveal())

    async def _derive_and_keep(self, cache_key: CacheKey, password: bytes) -> bytes:
        _, salt, params = cache_key
        derived = await self._derive(password, salt, params)
        self._entries[cache_key] = (self._clock() + self._ttl, Secret(derived))
        while len(self._entries) > self._size:
            _, (_, evicted) = self._entries.popitem(last=False)
            evicted.wipe()
        return derived

    async def _derive(self, password: bytes, salt: bytes, params: KdfParams) -> bytes:
        self.stats.derivations += 1
        self._on_lookup("derived")
        return await asyncio.to_thread(stretch, password, salt, params)
