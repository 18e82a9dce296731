"""Cipher on libsodium: Argon2id key stretching and XChaCha20-Poly1305 authenticated encryption."""

import asyncio
import os

import nacl.exceptions
from nacl import bindings
from nacl.pwhash import argon2id

from adapters.crypto.envelope import (
    NONCE_BYTES,
    SALT_BYTES,
    Envelope,
    KdfParams,
    associated_data,
)
from domain.errors import WalletKeyMismatch
from domain.model import WalletBinding
from domain.secrets import EncryptionKey, Secret, SecretSeed

DEFAULT_KDF = KdfParams(memory_kib=19 * 1024, iterations=2)
KEY_BYTES = 32


class Argon2AeadCipher:
    """Seals each seed under a key stretched from the caller's key with Argon2id (a random salt
    per envelope) and XChaCha20-Poly1305 with a random 192-bit nonce, the wallet's binding as
    associated data. Key stretching runs in a worker thread.
    """

    def __init__(self, kdf: KdfParams = DEFAULT_KDF) -> None:
        self._kdf = kdf

    async def encrypt(self, seed: SecretSeed, key: EncryptionKey, binding: WalletBinding) -> str:
        salt = os.urandom(SALT_BYTES)
        nonce = os.urandom(NONCE_BYTES)
        with await asyncio.to_thread(_stretch, key, salt, self._kdf) as wrapping_key:
            ciphertext = bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
                bytes(seed.reveal()), associated_data(binding), nonce, bytes(wrapping_key.reveal())
            )
        return Envelope(self._kdf, salt, nonce, ciphertext).to_text()

    async def decrypt(
        self, envelope: str, key: EncryptionKey, binding: WalletBinding
    ) -> SecretSeed:
        parsed = Envelope.parse(envelope)
        with await asyncio.to_thread(_stretch, key, parsed.salt, parsed.params) as wrapping_key:
            try:
                plaintext = bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
                    parsed.ciphertext,
                    associated_data(binding),
                    parsed.nonce,
                    bytes(wrapping_key.reveal()),
                )
            except nacl.exceptions.CryptoError:
                raise WalletKeyMismatch(binding.user_id) from None
        return SecretSeed(plaintext)


def _stretch(key: EncryptionKey, salt: bytes, params: KdfParams) -> Secret:
    return Secret(
        argon2id.kdf(
            KEY_BYTES,
            bytes(key.reveal()),
            salt,
            opslimit=params.iterations,
            memlimit=params.memory_kib * 1024,
        )
    )
