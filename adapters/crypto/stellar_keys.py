"""KeyGenerator on libsodium (PyNaCl's bindings) with stellar-sdk's StrKey encoding."""

import os

from nacl.bindings import crypto_sign_seed_keypair
from stellar_sdk import StrKey

from domain.model import KeyPair
from domain.secrets import SecretSeed

SEED_BYTES = 32


class StellarKeyGenerator:
    """Random ed25519 keypairs: a 32-byte seed from the OS CSPRNG, its public key from libsodium.

    The same derivation as stellar-sdk's `Keypair` without building its signing-key objects, which
    cost as much again on the creation path.
    """

    def generate(self) -> KeyPair:
        seed = SecretSeed(os.urandom(SEED_BYTES))
        return KeyPair(public_key=self.public_key_of(seed), seed=seed)

    def public_key_of(self, seed: SecretSeed) -> str:
        public_key, _ = crypto_sign_seed_keypair(bytes(seed.reveal()))
        return StrKey.encode_ed25519_public_key(public_key)
