"""Which v1 envelopes this process has seen a caller's key open: a bounded memo that lets a key be
proven again (a creation's replay) without opening the envelope again.
"""

import hashlib
import os
import time
from collections import OrderedDict
from collections.abc import Callable

from adapters.crypto.envelope import KdfParams
from domain.model import WalletBinding

DEFAULT_SIZE = 10_000
"""Openings remembered by default: some 2 MB."""

Scope = tuple[bytes, KdfParams]
"""The salt and parameters the envelope's key was stretched with."""


class OpenedEnvelopes:
    """The `size` openings most lately recorded, each for `ttl_seconds` after it was recorded,
    least recently seen forgotten first; either being 0 remembers none. Each is kept as a MAC
    (keyed BLAKE2b under a random per-process key) of the caller's key, the envelope's text and
    its binding, with the salt and parameters the key was stretched with: never the key, its
    stretched form or the seed. A memory dump of the process holds the MAC's key too, and so lets
    guesses of a caller key be checked against it without Argon2id: as the stretched-key cache's
    index does, hence the same lifetime as a cached key (the cipher passes the cache's).

    Opening is deterministic: a key that opened a byte-identical envelope under the same binding
    opens it again, with the same seed. So `opened` answers as opening again would, for the
    openings it holds; any change to the envelope, the binding or the key is another MAC, a miss,
    and the caller opens it for real (a damaged envelope is then reported as damaged). Only the
    openings that need nothing else belong here: not those whose second factor a key-management
    backend must unwrap each time.
    """

    def __init__(
        self,
        ttl_seconds: float,
        size: int = DEFAULT_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if size < 0 or ttl_seconds < 0:
            raise ValueError("size and ttl_seconds must be at least 0")
        self._size = size if ttl_seconds > 0 else 0
        self._ttl = ttl_seconds
        self._clock = clock
        self._process_key = os.urandom(32)
        self._openings: OrderedDict[bytes, tuple[float, Scope]] = OrderedDict()

    def record(
        self, key: bytes | bytearray, envelope: str, binding: WalletBinding, scope: Scope
    ) -> None:
        """The key opened this envelope, bound to `binding`, its key stretched for `scope`."""
        if self._size == 0:
            return
        opening = self._mac(key, envelope, binding)
        self._openings[opening] = (self._clock() + self._ttl, scope)
        self._openings.move_to_end(opening)
        if len(self._openings) > self._size:
            self._openings.popitem(last=False)

    def opened(self, key: bytes | bytearray, envelope: str, binding: WalletBinding) -> Scope | None:
        """The salt and parameters of a recorded opening of this envelope by this key under this
        binding, still within its lifetime (it is then the most lately seen); None if there is
        none.
        """
        if self._size == 0:
            return None
        opening = self._mac(key, envelope, binding)
        entry = self._openings.get(opening)
        if entry is None:
            return None
        expires_at, scope = entry
        if self._clock() >= expires_at:
            del self._openings[opening]
            return None
        self._openings.move_to_end(opening)
        return scope

    def _mac(self, key: bytes | bytearray, envelope: str, binding: WalletBinding) -> bytes:
        mac = hashlib.blake2b(len(key).to_bytes(4, "big"), key=self._process_key, digest_size=16)
        mac.update(key)
        user_id = binding.user_id
        # Each text but the last after its length in characters: no two triples read alike.
        fields = f"{len(envelope)}${envelope}{len(user_id)}${user_id}{binding.public_key}"
        mac.update(fields.encode("utf-8", "surrogatepass"))
        return mac.digest()

    def __len__(self) -> int:
        return len(self._openings)

    def __repr__(self) -> str:
        return f"OpenedEnvelopes(size={self._size}, ttl={self._ttl}, known={len(self._openings)})"
