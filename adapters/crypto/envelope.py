"""The text envelope stored in `encryptedKey`: its layout, parsing and associated data.

Layout (fields joined by '$', binary fields base64url without padding):

    wo1$argon2id$m=<KiB>,t=<iterations>,p=1$<salt:16 bytes>$<nonce:24 bytes>$<ciphertext+tag>
"""

import base64
import binascii
import re
from dataclasses import dataclass

from domain.errors import EnvelopeCorrupted
from domain.model import WalletBinding

VERSION = "wo1"
KDF_NAME = "argon2id"
SALT_BYTES = 16
NONCE_BYTES = 24
TAG_BYTES = 16
SEED_BYTES = 32
MIN_MEMORY_KIB = 8
MAX_MEMORY_KIB = 4 * 1024 * 1024
MAX_ITERATIONS = 64

_PARAMS = re.compile(r"m=([1-9][0-9]{0,8}),t=([1-9][0-9]{0,2}),p=1")


@dataclass(frozen=True, slots=True)
class KdfParams:
    """Argon2id cost: memory in KiB and iterations (one lane)."""

    memory_kib: int
    iterations: int

    def __post_init__(self) -> None:
        if not MIN_MEMORY_KIB <= self.memory_kib <= MAX_MEMORY_KIB:
            raise ValueError(f"Argon2id memory must be {MIN_MEMORY_KIB} to {MAX_MEMORY_KIB} KiB")
        if not 1 <= self.iterations <= MAX_ITERATIONS:
            raise ValueError(f"Argon2id iterations must be 1 to {MAX_ITERATIONS}")


@dataclass(frozen=True, slots=True)
class Envelope:
    """A parsed envelope: everything needed to stretch the key and open the ciphertext."""

    params: KdfParams
    salt: bytes
    nonce: bytes
    ciphertext: bytes

    def to_text(self) -> str:
        params = f"m={self.params.memory_kib},t={self.params.iterations},p=1"
        fields = (self.salt, self.nonce, self.ciphertext)
        return "$".join((VERSION, KDF_NAME, params, *(_b64(value) for value in fields)))

    @classmethod
    def parse(cls, text: str) -> "Envelope":
        """Parse the text layout; EnvelopeCorrupted on anything that is not a v1 envelope."""
        parts = text.split("$")
        if len(parts) != 6 or parts[0] != VERSION or parts[1] != KDF_NAME:
            raise EnvelopeCorrupted("not a wo1 envelope")
        match = _PARAMS.fullmatch(parts[2])
        if match is None:
            raise EnvelopeCorrupted("bad key-derivation parameters")
        try:
            params = KdfParams(int(match[1]), int(match[2]))
        except ValueError:
            raise EnvelopeCorrupted("key-derivation parameters out of range") from None
        salt, nonce, ciphertext = (_unb64(part) for part in parts[3:])
        if len(salt) != SALT_BYTES or len(nonce) != NONCE_BYTES:
            raise EnvelopeCorrupted("bad salt or nonce length")
        if len(ciphertext) != SEED_BYTES + TAG_BYTES:
            raise EnvelopeCorrupted("bad ciphertext length")
        return cls(params, salt, nonce, ciphertext)


def associated_data(binding: WalletBinding) -> bytes:
    """Version, user id and public key, each length-prefixed so no two bindings encode alike."""
    fields = (VERSION, binding.user_id, binding.public_key)
    encoded = (field.encode("utf-8") for field in fields)
    return b"".join(len(value).to_bytes(4, "big") + value for value in encoded)


def _b64(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode("ascii")


_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def _unb64(text: str) -> bytes:
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise EnvelopeCorrupted("bad base64url field")
    try:
        decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise EnvelopeCorrupted("bad base64url field") from None
    if _b64(decoded) != text:
        raise EnvelopeCorrupted("non-canonical base64url field")
    return decoded
