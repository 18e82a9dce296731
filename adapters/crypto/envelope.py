"""Envelope v1: the text stored in `encryptedKey`, and the pure functions that seal and open it.

    wo1$argon2id$m=<KiB>,t=<passes>,p=1$<salt>$<check>$<nonce>$<ciphertext>$<sum>

Binary fields are base64url without padding. docs/envelope.md is the specification; the known-answer
vectors in tests/unit/vectors/ pin it down.
"""

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass

import nacl.exceptions
from nacl import bindings

from domain.errors import EnvelopeTampered
from domain.model import WalletBinding

VERSION = "wo1"
KDF_NAME = "argon2id"
SALT_BYTES = 16
CHECK_BYTES = 8
NONCE_BYTES = 24
TAG_BYTES = 16
SEED_BYTES = 32
SUM_BYTES = 8
STRETCHED_KEY_BYTES = 32
MIN_MEMORY_KIB = 8
MAX_MEMORY_KIB = 4 * 1024 * 1024
MAX_ITERATIONS = 64

_INFO_AEAD = b"wallet-orchestrator wo1 aead key"
_INFO_CHECK = b"wallet-orchestrator wo1 key check"
_PARAMS = re.compile(r"m=([1-9][0-9]{0,7}),t=([1-9][0-9]?),p=1")
_B64URL = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class KdfParams:
    """Argon2id cost: memory in KiB and passes, one lane."""

    memory_kib: int
    iterations: int

    def __post_init__(self) -> None:
        if not MIN_MEMORY_KIB <= self.memory_kib <= MAX_MEMORY_KIB:
            raise ValueError(f"Argon2id memory must be {MIN_MEMORY_KIB} to {MAX_MEMORY_KIB} KiB")
        if not 1 <= self.iterations <= MAX_ITERATIONS:
            raise ValueError(f"Argon2id iterations must be 1 to {MAX_ITERATIONS}")

    def to_text(self) -> str:
        return f"m={self.memory_kib},t={self.iterations},p=1"

    def exceeds(self, ceiling: "KdfParams") -> bool:
        """Whether this cost is above `ceiling` in memory or in passes."""
        return self.memory_kib > ceiling.memory_kib or self.iterations > ceiling.iterations


@dataclass(frozen=True, slots=True)
class Envelope:
    """A parsed v1 envelope."""

    params: KdfParams
    salt: bytes
    check: bytes
    nonce: bytes
    ciphertext: bytes

    def to_text(self) -> str:
        fields = (self.salt, self.check, self.nonce, self.ciphertext)
        body = "$".join((VERSION, KDF_NAME, self.params.to_text(), *map(_b64, fields)))
        return f"{body}${_b64(_sum(body))}"

    @classmethod
    def parse(cls, text: str) -> "Envelope":
        """The envelope in `text`; EnvelopeTampered for anything that is not an intact v1 one."""
        body, _, written_sum = text.rpartition("$")
        if not hmac.compare_digest(_unb64(written_sum, SUM_BYTES), _sum(body)):
            raise EnvelopeTampered("checksum does not match")
        parts = body.split("$")
        if len(parts) != 7 or parts[0] != VERSION or parts[1] != KDF_NAME:
            raise EnvelopeTampered("not a wo1 envelope")
        match = _PARAMS.fullmatch(parts[2])
        if match is None:
            raise EnvelopeTampered("bad key-derivation parameters")
        try:
            params = KdfParams(int(match[1]), int(match[2]))
        except ValueError:
            raise EnvelopeTampered("key-derivation parameters out of range") from None
        return cls(
            params,
            salt=_unb64(parts[3], SALT_BYTES),
            check=_unb64(parts[4], CHECK_BYTES),
            nonce=_unb64(parts[5], NONCE_BYTES),
            ciphertext=_unb64(parts[6], SEED_BYTES + TAG_BYTES),
        )


def seal(  # noqa: PLR0913 - every input of the envelope, the random ones by name
    seed: bytes,
    stretched_key: bytes,
    binding: WalletBinding,
    *,
    params: KdfParams,
    salt: bytes,
    nonce: bytes,
) -> Envelope:
    """Seal a 32-byte seed under a stretched key; deterministic given salt and nonce."""
    if len(seed) != SEED_BYTES or len(nonce) != NONCE_BYTES or len(salt) != SALT_BYTES:
        raise ValueError("seed, salt or nonce has the wrong length")
    ciphertext = bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        seed, associated_data(binding), nonce, _expand(stretched_key, _INFO_AEAD)
    )
    return Envelope(params, salt, key_check(stretched_key), nonce, ciphertext)


class WrongKey(Exception):
    """The stretched key is not the one the envelope was sealed under."""


def open_sealed(envelope: Envelope, stretched_key: bytes, binding: WalletBinding) -> bytes:
    """The seed. WrongKey when the key check and the AEAD both say this is another key;
    EnvelopeTampered when the key is right (or the check was altered) but the AEAD fails.
    """
    key_matches = hmac.compare_digest(key_check(stretched_key), envelope.check)
    try:
        seed = bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            envelope.ciphertext,
            associated_data(binding),
            envelope.nonce,
            _expand(stretched_key, _INFO_AEAD),
        )
    except nacl.exceptions.CryptoError:
        if key_matches:
            raise EnvelopeTampered("ciphertext or binding fails authentication") from None
        raise WrongKey from None
    if not key_matches:
        raise EnvelopeTampered("key check value was altered")
    return bytes(seed)


def key_check(stretched_key: bytes) -> bytes:
    """Eight bytes that tell keys apart; finding a key that matches costs an Argon2id run."""
    return _expand(stretched_key, _INFO_CHECK)[:CHECK_BYTES]


def associated_data(binding: WalletBinding) -> bytes:
    """Version, user id and public key, each UTF-8 with a 4-byte big-endian length prefix."""
    fields = (VERSION, binding.user_id, binding.public_key)
    encoded = (field.encode("utf-8") for field in fields)
    return b"".join(len(value).to_bytes(4, "big") + value for value in encoded)


def _expand(stretched_key: bytes, info: bytes) -> bytes:
    """HKDF-Expand (RFC 5869) with SHA-256 for one 32-byte block: HMAC(PRK, info || 0x01)."""
    return hmac.digest(stretched_key, info + b"\x01", "sha256")


def _sum(body: str) -> bytes:
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).digest()[:SUM_BYTES]


def _b64(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode("ascii")


def _unb64(text: str, size: int) -> bytes:
    if not _B64URL.fullmatch(text):
        raise EnvelopeTampered("bad base64url field")
    try:
        decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise EnvelopeTampered("bad base64url field") from None
    if len(decoded) != size or _b64(decoded) != text:
        raise EnvelopeTampered("field has the wrong length or a non-canonical encoding")
    return decoded
