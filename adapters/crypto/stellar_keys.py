"""KeyGenerator on stellar-sdk."""

from stellar_sdk import Keypair

from domain.model import KeyPair
from domain.secrets import SecretSeed


class StellarKeyGenerator:
    """Random ed25519 keypairs from stellar-sdk (libsodium's CSPRNG underneath)."""

    def generate(self) -> KeyPair:
        keypair = Keypair.random()
        return KeyPair(public_key=keypair.public_key, seed=SecretSeed(keypair.raw_secret_key()))

    def public_key_of(self, seed: SecretSeed) -> str:
        return Keypair.from_raw_ed25519_seed(bytes(seed.reveal())).public_key
