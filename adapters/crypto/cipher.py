"""Cipher on libsodium: Argon2id-stretched caller keys, XChaCha20-Poly1305, envelope v1."""

import os
from collections.abc import Awaitable, Callable

from adapters.crypto.envelope import (
    NONCE_BYTES,
    Envelope,
    KdfParams,
    WrongKey,
    open_sealed,
    seal,
)
from adapters.crypto.key_cache import StretchedKeyCache
from domain.errors import EnvelopeTampered, WalletKeyMismatch
from domain.model import WalletBinding
from domain.secrets import EncryptionKey, PreparedKey, Secret, SecretSeed

DEFAULT_KDF = KdfParams(memory_kib=19 * 1024, iterations=2)
DEFAULT_KDF_CEILING = KdfParams(memory_kib=256 * 1024, iterations=8)
"""The most an envelope may ask of Argon2id before it is refused unread (256 MiB, 8 passes)."""

DeploymentSalt = Callable[[], Awaitable[bytes]]
"""Returns the deployment's random 16-byte Argon2id salt (stored with the schema)."""


class Argon2AeadCipher:
    """Seals seeds in v1 envelopes: the caller's key stretched with Argon2id under the deployment
    salt (cached), XChaCha20-Poly1305 with a random 192-bit nonce per wallet, and the wallet's
    binding as associated data. Wrong keys and damaged envelopes raise different errors.

    `prepare` stretches the key for `kdf` ahead of time (a PreparedKey); sealing and opening
    under a prepared key at its parameters then do no Argon2id. An envelope whose parameters
    exceed `ceiling` is never derived: EnvelopeTampered, at once. Opening confirms the key's
    cache entry (a key that opens nothing stays on probation).
    """

    def __init__(
        self,
        kdf: KdfParams,
        keys: StretchedKeyCache,
        deployment_salt: DeploymentSalt,
        ceiling: KdfParams = DEFAULT_KDF_CEILING,
    ) -> None:
        if kdf.exceeds(ceiling):
            raise ValueError("the key-derivation cost of new envelopes is above the ceiling")
        self._kdf = kdf
        self._ceiling = ceiling
        self._keys = keys
        self._deployment_salt = deployment_salt

    async def prepare(self, key: EncryptionKey) -> PreparedKey:
        salt = await self._deployment_salt()
        stretched = await self._keys.stretched(key, salt, self._kdf)
        return PreparedKey(key.reveal(), Secret(stretched), (salt, self._kdf))

    async def encrypt(self, seed: SecretSeed, key: EncryptionKey, binding: WalletBinding) -> str:
        salt = await self._deployment_salt()
        stretched = await self._stretched(key, salt, self._kdf)
        envelope = seal(
            bytes(seed.reveal()),
            stretched,
            binding,
            params=self._kdf,
            salt=salt,
            nonce=os.urandom(NONCE_BYTES),
        )
        return envelope.to_text()

    async def decrypt(
        self, envelope: str, key: EncryptionKey, binding: WalletBinding
    ) -> SecretSeed:
        parsed = Envelope.parse(envelope)
        if parsed.params.exceeds(self._ceiling):
            raise EnvelopeTampered("key-derivation cost above this deployment's ceiling")
        stretched = await self._stretched(key, parsed.salt, parsed.params)
        try:
            seed = SecretSeed(open_sealed(parsed, stretched, binding))
        except WrongKey:
            raise WalletKeyMismatch(binding.user_id) from None
        self._keys.confirm(key, parsed.salt, parsed.params)
        return seed

    async def _stretched(self, key: EncryptionKey, salt: bytes, params: KdfParams) -> bytes:
        """The prepared material if the key was prepared for this salt and these parameters;
        else the cache's (a derivation, if it has none).
        """
        if isinstance(key, PreparedKey) and key.scope == (salt, params):
            return bytes(key.material.reveal())
        return await self._keys.stretched(key, salt, params)
