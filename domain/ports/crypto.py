"""Ports of cryptography: new keypairs, the seeds sealed under the caller's key, and the seeds
sealed to a recipient or to the recovery key.
"""

from typing import Protocol

from domain.model import KeyPair, WalletBinding
from domain.secrets import EncryptionKey, SecretSeed


class KeyGenerator(Protocol):
    """Source of new Stellar keypairs."""

    def generate(self) -> KeyPair:
        """A new random ed25519 keypair: StrKey public key ('G...') and 32-byte seed."""
        ...

    def public_key_of(self, seed: SecretSeed) -> str:
        """The StrKey public key ('G...') of a 32-byte seed."""
        ...


class Cipher(Protocol):
    """Authenticated encryption of seeds under the caller's key, bound to one wallet, and, where
    a key-management backend is configured, under a second factor that the backend holds.

    The slow part (stretching the caller's key) is `prepare`'s: call it before a unit of work
    opens, so that no connection or lock is held while a key is derived, and pass what it
    returns to `encrypt` and `decrypt`, which then only seal and open. They accept any
    EncryptionKey, though: one that was not prepared, or an envelope written at other
    parameters (an older cost), is stretched there and then.
    """

    async def prepare(self, key: EncryptionKey) -> EncryptionKey:
        """The same key, made ready for sealing at the current parameters and opening the
        envelopes sealed at them (for example a PreparedKey holding its stretched form). The
        caller wipes it. May take a key-derivation slot: KeyDerivationBusy when none frees up
        within the deadline. Touches no store; may read the deployment's salt once
        (StoreUnavailable).
        """
        ...

    async def ready_to_seal(self, key: EncryptionKey) -> EncryptionKey | None:
        """The key as `prepare` would return it, if that is at hand and sealing under it calls
        no key-management backend (its stretched form is cached, no backend is configured);
        else None, with nothing derived and no derivation slot taken. The caller wipes what it
        gets. May read the deployment's salt once (StoreUnavailable).
        """
        ...

    async def encrypt(self, seed: SecretSeed, key: EncryptionKey, binding: WalletBinding) -> str:
        """A self-describing text envelope of the seed, openable only with the same key and
        binding.
        """
        ...

    async def decrypt(
        self, envelope: str, key: EncryptionKey, binding: WalletBinding
    ) -> SecretSeed:
        """The seed sealed in the envelope. Raises WalletKeyMismatch when the envelope was sealed
        under another key, EnvelopeTampered when it is damaged, altered, bound to another wallet,
        or asks for a key-derivation cost above the deployment's ceiling (it is then not derived
        at all). With a second factor: KmsUnavailable (backend unreachable, slow, sealed),
        KmsRefused (it refuses), KmsKeyMismatch (the envelope's factor is another backend
        key's). An envelope at parameters other than the prepared key's is derived here
        (KeyDerivationBusy as for `prepare`).
        """
        ...

    def opened_before(self, envelope: str, key: EncryptionKey, binding: WalletBinding) -> bool:
        """Whether this key is known to open this very envelope under this binding: it opened
        it before (byte for byte), and opening it needs no key-management backend; `verify`
        would then return. False says nothing either way. Derives nothing, calls nothing,
        raises nothing: the key need not be prepared.
        """
        ...

    async def verify(self, envelope: str, key: EncryptionKey, binding: WalletBinding) -> None:
        """Prove that the key opens the envelope, without handing out the seed: returns when
        `decrypt` would return the seed, and raises what it would raise. May answer without
        opening the envelope again where this key has opened this very envelope (byte for
        byte, under the same binding) before and opening it needs no key-management backend:
        opening is deterministic, so the answer is the same (and, derived nothing, it cannot
        be KeyDerivationBusy).
        """
        ...

    async def rewrap(self, envelope: str, binding: WalletBinding) -> str | None:
        """The envelope with its second factor wrapped by the key-management backend's newest
        key, needing no caller key; None when it already is, or when the envelope has no second
        factor (v1). Errors as for `decrypt`'s backend part: KmsUnavailable, KmsRefused,
        KmsKeyMismatch, EnvelopeTampered.
        """
        ...

    def is_current(self, envelope: str) -> bool:
        """Whether `encrypt` would write an envelope of this kind now (same version and
        key-management backend): False for the v1 envelopes of a deployment that has a backend.
        """
        ...


class EscrowOpener(Protocol):
    """The recovery key's private half, rebuilt from its shares for one restore."""

    @property
    def public_key(self) -> str:
        """The recovery key's public half (base64), as WALLET_RECOVERY_PUBLIC_KEY spells it."""
        ...

    def open(self, sealed_seed: str) -> SecretSeed:
        """The seed in an escrow sealed to this key (the caller wipes it). Raises
        EscrowUnreadable when it is not sealed to this key or is damaged.
        """
        ...


class SeedSealer(Protocol):
    """Seals a seed to a recipient's X25519 public key (anonymous sender, e.g. a sealed box)."""

    def seal(self, seed: SecretSeed, recipient_public_key: str) -> str:
        """The sealed seed, base64. Only the recipient's private key opens it. Raises
        InvalidInput when `recipient_public_key` is not a base64 32-byte key.
        """
        ...
