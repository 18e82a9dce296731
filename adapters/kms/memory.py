"""A key-management backend held in this process's memory: the in-memory adapters' second
factor, for tests and the property-based harness. It protects nothing from a reader of the
process, so no deployment setting selects it.
"""

import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from adapters.kms.base import SHARE_BYTES, BackendCheck, WrappedShare
from domain.errors import EnvelopeTampered, KmsKeyMismatch

NONCE_BYTES = 12
TAG_BYTES = 16


class InMemoryKeyWrapper:
    """AES-256-GCM keys in a dict by key_ref (`v<version>-<random hex>`); the newest wraps."""

    name = "memory"

    def __init__(self, key_label: str = "wallets") -> None:
        self.key_label = key_label
        self._keys: dict[str, AESGCM] = {}
        self._newest: str | None = None
        self.calls = 0

    @property
    def newest(self) -> str | None:
        """The key_ref of the version that wraps now (None before the first key)."""
        return self._newest

    async def wrap(self, share: bytes, context: bytes) -> WrappedShare:
        self.calls += 1
        if len(share) != SHARE_BYTES:
            raise ValueError("a share is 32 bytes")
        key_ref = self._newest or await self.rotate_key()
        nonce = os.urandom(NONCE_BYTES)
        wrapped = nonce + self._keys[key_ref].encrypt(nonce, share, context)
        return WrappedShare(self.name, key_ref, wrapped)

    async def unwrap(self, wrapped: WrappedShare, context: bytes) -> bytes:
        self.calls += 1
        key = self._key_of(wrapped)
        if len(wrapped.wrapped) < NONCE_BYTES + TAG_BYTES:
            raise EnvelopeTampered("wrapped share is too short")
        nonce, sealed = wrapped.wrapped[:NONCE_BYTES], wrapped.wrapped[NONCE_BYTES:]
        try:
            return key.decrypt(nonce, sealed, context)
        except InvalidTag:
            raise EnvelopeTampered("wrapped share or binding fails authentication") from None

    async def rewrap(self, wrapped: WrappedShare, context: bytes) -> WrappedShare | None:
        self._key_of(wrapped)
        if wrapped.key_ref == self._newest:
            return None
        share = await self.unwrap(wrapped, context)
        return await self.wrap(share, context)

    async def ensure_key(self) -> bool:
        if self._newest is not None:
            return False
        await self.rotate_key()
        return True

    async def rotate_key(self) -> str:
        key_ref = f"v{len(self._keys) + 1}-{secrets.token_hex(4)}"
        self._keys[key_ref] = AESGCM(AESGCM.generate_key(bit_length=256))
        self._newest = key_ref
        return key_ref

    def forget(self, key_ref: str) -> None:
        """Drop one key version, as a backend whose key was deleted would."""
        del self._keys[key_ref]
        if self._newest == key_ref:
            self._newest = None

    async def check(self) -> list[BackendCheck]:
        present = self._newest is not None
        return [BackendCheck("key present", present, "in memory" if present else "no key yet")]

    async def aclose(self) -> None:
        return None

    def _key_of(self, wrapped: WrappedShare) -> AESGCM:
        if wrapped.backend != self.name:
            raise KmsKeyMismatch(self.name, f"wrapped by the {wrapped.backend} backend")
        key = self._keys.get(wrapped.key_ref)
        if key is None:
            raise KmsKeyMismatch(self.name, f"no key version {wrapped.key_ref}")
        return key
