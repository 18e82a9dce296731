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
from domain.errors import WalletKeyMismatch
from domain.model import WalletBinding
from domain.secrets import EncryptionKey, SecretSeed

DEFAULT_KDF = KdfParams(memory_kib=19 * 1024, iterations=2)

DeploymentSalt = Callable[[], Awaitable[bytes]]
"""Returns the deployment's random 16-byte Argon2id salt (stored with the schema)."""


class Argon2AeadCipher:
    """Seals seeds in v1 envelopes: the caller's key stretched with Argon2id under the deployment
    salt (cached), XChaCha20-Poly1305 with a random 192-bit nonce per wallet, and the wallet's
    binding as associated data. Wrong keys and damaged envelopes raise different errors.
    """

    def __init__(
        self, kdf: KdfParams, keys: StretchedKeyCache, deployment_salt: DeploymentSalt
    ) -> None:
        self._kdf = kdf
        self._keys = keys
        self._deployment_salt = deployment_salt

    async def encrypt(self, seed: SecretSeed, key: EncryptionKey, binding: WalletBinding) -> str:
        salt = await self._deployment_salt()
        stretched = await self._keys.stretched(key, salt, self._kdf)
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
        stretched = await self._keys.stretched(key, parsed.salt, parsed.params)
        try:
            return SecretSeed(open_sealed(parsed, stretched, binding))
        except WrongKey:
            raise WalletKeyMismatch(binding.user_id) from None
